"""Deployments: immutable, versioned bundles of BPMN/DMN/form files and their parsed specs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base


class Deployment(Base):
    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    bundle_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    #: why this version exists, in the process owner's words (none for ``ketenflow init``)
    change_note: Mapped[str | None] = mapped_column(Text)

    files: Mapped[list[DeploymentFile]] = relationship(back_populates="deployment",
                                                       order_by="DeploymentFile.name")


class DeploymentFile(Base):
    __tablename__ = "deployment_file"
    __table_args__ = (UniqueConstraint("deployment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    deployment: Mapped[Deployment] = relationship(back_populates="files")


class ProcessDefinition(Base):
    """One executable process of a deployment, its spec serialized once for all instances."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("deployment_id", "process_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300))
    #: Kilobytes of JSON, read only when a spec is first restored (see ``SpecCache``).
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    start_messages: Mapped[list[Any]]
    has_none_start: Mapped[bool]
    forms: Mapped[dict[str, Any]]  # user task id -> form file name in the deployment
