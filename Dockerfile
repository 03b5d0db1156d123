# One image for the web app (`ketenflow serve`) and the timer worker (`ketenflow worker`), built
# the way `make install` builds a checkout: the front-end with npm and esbuild, the Python
# packages at the exact versions of requirements.lock, then Ketenflow without resolving again.

FROM node:20-bookworm AS frontend
WORKDIR /src
COPY Makefile package.json package-lock.json ./
COPY frontend frontend
RUN make webui/static/vendor/.installed

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY engine engine
COPY webui webui
COPY processes processes
COPY --from=frontend /src/webui/static/vendor webui/static/vendor
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --home-dir /app ketenflow \
    && mkdir -p instance /var/lib/ketenflow/metrics \
    && chown ketenflow instance /var/lib/ketenflow/metrics
USER ketenflow
EXPOSE 5000
ENTRYPOINT ["ketenflow"]
CMD ["serve", "--host", "0.0.0.0", "--port", "5000"]
