// bpmn-js's own texts (palette, context pad, properties panel, lint button) in Dutch, the
// page's language (<html lang>), English when the page is in English: bpmn-js writes them in
// English and asks its `translate` service, replaced here. Our own texts are Dutch already.
import { dutchTranslate } from '../shared/translate.js';

const DUTCH = {
  // palette and context pad
  'Activate hand tool': 'Handgereedschap', 'Activate the hand tool': 'Handgereedschap',
  'Activate lasso tool': 'Lasso: elementen selecteren',
  'Activate the lasso tool': 'Lasso: elementen selecteren',
  'Activate create/remove space tool': 'Ruimte maken of weghalen',
  'Activate the create/remove space tool': 'Ruimte maken of weghalen',
  'Activate global connect tool': 'Verbinden', 'Activate the global connect tool': 'Verbinden',
  'Create start event': 'Startgebeurtenis maken', 'Create StartEvent': 'Startgebeurtenis maken',
  'Create intermediate/boundary event': 'Tussen- of randgebeurtenis maken',
  'Create Intermediate/Boundary Event': 'Tussen- of randgebeurtenis maken',
  'Create end event': 'Eindgebeurtenis maken', 'Create EndEvent': 'Eindgebeurtenis maken',
  'Create gateway': 'Gateway maken', 'Create Gateway': 'Gateway maken',
  'Create task': 'Taak maken', 'Create Task': 'Taak maken',
  'Create expanded sub-process': 'Subproces maken',
  'Create expanded SubProcess': 'Subproces maken',
  'Create data object reference': 'Gegevensobject maken',
  'Create DataObjectReference': 'Gegevensobject maken',
  'Create data store reference': 'Gegevensopslag maken',
  'Create DataStoreReference': 'Gegevensopslag maken',
  'Create pool/participant': 'Pool maken', 'Create Pool/Participant': 'Pool maken',
  'Create group': 'Groep maken', 'Create Group': 'Groep maken',
  'Append task': 'Taak erachter', 'Append end event': 'Eindgebeurtenis erachter',
  'Append gateway': 'Gateway erachter',
  'Append intermediate/boundary event': 'Tussengebeurtenis erachter',
  'Append text annotation': 'Toelichting toevoegen', 'Add text annotation': 'Toelichting toevoegen',
  'Connect using sequence/message flow or association': 'Verbinden',
  'Connect to other element': 'Verbinden met een ander element',
  'Connect using association': 'Verbinden met een associatie',
  'Change type': 'Soort wijzigen', 'Change element': 'Soort wijzigen', 'Delete': 'Verwijderen',
  'Remove': 'Verwijderen',
  'Add lane above': 'Laan erboven toevoegen', 'Add lane below': 'Laan eronder toevoegen',
  'Divide into two lanes': 'In twee lanen splitsen',
  'Divide into three lanes': 'In drie lanen splitsen',
  // properties panel
  'General': 'Algemeen', 'Name': 'Naam', 'ID': 'ID', 'Documentation': 'Documentatie',
  'Element documentation': 'Documentatie van het element',
  'Process documentation': 'Documentatie van het proces', 'Process': 'Proces',
  'Timer': 'Timer', 'Type': 'Soort', 'Value': 'Waarde', 'Condition': 'Voorwaarde',
  'Condition expression': 'Voorwaarde-expressie', 'Message': 'Bericht', 'Signal': 'Signaal',
  'Error': 'Fout', 'Escalation': 'Escalatie', 'Inputs': 'Invoer', 'Outputs': 'Uitvoer',
  'Multi-instance': 'Meervoudig', 'Called element': 'Aangeroepen proces',
  'Executable': 'Uitvoerbaar', 'Version tag': 'Versielabel', 'Link': 'Koppeling',
  'Template': 'Sjabloon', 'Properties': 'Eigenschappen', 'Extension properties':
    'Extra eigenschappen', 'Compensation': 'Compensatie',
  '<none>': '<geen>', 'Create new ...': 'Nieuw maken …',
  'Select an element to edit its properties.': 'Kies een element om het te bewerken.',
  'Multiple elements are selected. Select a single one to edit its properties.':
    'Er zijn meerdere elementen gekozen. Kies er één om het te bewerken.',
  'ID must be unique.': 'Dit ID bestaat al.', 'ID must not be empty.': 'Een ID is nodig.',
  'ID must not contain spaces.': 'Een ID heeft geen spaties.',
  // element kinds (the properties panel's header)
  'Task': 'Taak', 'User Task': 'Gebruikerstaak', 'Script Task': 'Scripttaak',
  'Service Task': 'Servicetaak', 'Manual Task': 'Handmatige taak',
  'Business Rule Task': 'Beslistaak', 'Send Task': 'Verzendtaak', 'Receive Task': 'Ontvangsttaak',
  'Call Activity': 'Aanroep van een proces', 'Sub Process': 'Subproces',
  'Start Event': 'Startgebeurtenis', 'End Event': 'Eindgebeurtenis',
  'Message Start Event': 'Startgebeurtenis (bericht)', 'Timer Start Event':
    'Startgebeurtenis (timer)', 'Intermediate Catch Event': 'Tussengebeurtenis (wachten)',
  'Intermediate Throw Event': 'Tussengebeurtenis', 'Boundary Event': 'Randgebeurtenis',
  'Timer Boundary Event': 'Randgebeurtenis (timer)', 'Message Boundary Event':
    'Randgebeurtenis (bericht)', 'Timer Intermediate Catch Event': 'Tussengebeurtenis (timer)',
  'Message Intermediate Catch Event': 'Tussengebeurtenis (bericht)',
  'Exclusive Gateway': 'Exclusieve gateway', 'Parallel Gateway': 'Parallelle gateway',
  'Inclusive Gateway': 'Inclusieve gateway', 'Event Based Gateway': 'Gebeurtenisgateway',
  'Sequence Flow': 'Volgordestroom', 'Lane': 'Laan', 'Participant': 'Pool',
  'Text Annotation': 'Toelichting', 'Data Object Reference': 'Gegevensobject',
  // lint button
  '{errors} Errors, {warnings} Warnings': '{errors} fouten, {warnings} waarschuwingen',
  'No Issues': 'Geen problemen', 'Toggle linting overlays': 'Lintmarkeringen aan/uit',
  'Issues for child elements': 'Problemen in onderliggende elementen'
};

export default dutchTranslate(DUTCH);
