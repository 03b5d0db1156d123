// A bpmn.io `translate` service from a table of Dutch texts: the library writes its texts in
// English and asks this service; the page's language (<html lang>) decides, English stays as
// written. `{name}` placeholders are filled from the replacements.
export function dutchTranslate(dutch) {
  return function translate(template, replacements) {
    const text = document.documentElement.lang === 'en' ? template : (dutch[template] || template);
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements
      ? replacements[key] : `{${key}}`));
  };
}
