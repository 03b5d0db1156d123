// dmn-js's own texts in Dutch (the page's language, <html lang>), English when the page is in
// English: dmn-js writes them in English and asks its `translate` service, replaced here.
import { dutchTranslate } from '../shared/translate.js';

const DUTCH = {
  'When': 'Als', 'And': 'En', 'Then': 'Dan', 'Hit policy': 'Hitbeleid',
  'Hit policy:': 'Hitbeleid:', 'Unique': 'Uniek', 'First': 'Eerste', 'Priority': 'Prioriteit',
  'Any': 'Elke', 'Collect': 'Verzamelen', 'Collect (Sum)': 'Verzamelen (som)',
  'Collect (Min)': 'Verzamelen (min)', 'Collect (Max)': 'Verzamelen (max)',
  'Collect (Count)': 'Verzamelen (aantal)', 'Rule order': 'Regelvolgorde',
  'Output order': 'Uitvoervolgorde', 'Annotation': 'Toelichting', 'Annotations': 'Toelichtingen',
  'Decision name': 'Naam van de beslissing', 'Decision name: ': 'Naam van de beslissing: ',
  'Add rule': 'Regel toevoegen', 'Add rule above': 'Regel erboven toevoegen',
  'Add rule below': 'Regel eronder toevoegen', 'Remove rule': 'Regel verwijderen',
  'Copy rule': 'Regel kopiëren', 'Cut rule': 'Regel knippen',
  'Paste rule above': 'Regel erboven plakken', 'Paste rule below': 'Regel eronder plakken',
  'Move rule': 'Regel verplaatsen', 'Add input': 'Invoer toevoegen',
  'Add output': 'Uitvoer toevoegen', 'Add input column left': 'Invoerkolom links toevoegen',
  'Add input column right': 'Invoerkolom rechts toevoegen',
  'Add output column left': 'Uitvoerkolom links toevoegen',
  'Add output column right': 'Uitvoerkolom rechts toevoegen',
  'Remove input column': 'Invoerkolom verwijderen',
  'Remove output column': 'Uitvoerkolom verwijderen',
  'Copy input column': 'Invoerkolom kopiëren', 'Copy output column': 'Uitvoerkolom kopiëren',
  'Cut input column': 'Invoerkolom knippen', 'Cut output column': 'Uitvoerkolom knippen',
  'Paste input column left': 'Invoerkolom links plakken',
  'Paste input column right': 'Invoerkolom rechts plakken',
  'Paste output column left': 'Uitvoerkolom links plakken',
  'Paste output column right': 'Uitvoerkolom rechts plakken',
  'Add cell description': 'Toelichting bij de cel toevoegen',
  'Remove cell description': 'Toelichting bij de cel verwijderen',
  'Input': 'Invoer', 'Output': 'Uitvoer', 'Input label': 'Naam van de invoer',
  'Input label: ': 'Naam van de invoer: ', 'Input expression': 'Invoerexpressie',
  'Input expression: ': 'Invoerexpressie: ', 'Input type': 'Type van de invoer',
  'Input values': 'Invoerwaarden', 'Output label': 'Naam van de uitvoer',
  'Output label: ': 'Naam van de uitvoer: ', 'Output name': 'Variabele van de uitvoer',
  'Output name: ': 'Variabele van de uitvoer: ', 'Output type': 'Type van de uitvoer',
  'Output values': 'Uitvoerwaarden', 'Type': 'Type', 'Value': 'Waarde', 'Values': 'Waarden',
  'Expression': 'Expressie', 'Expression language': 'Expressietaal',
  'Enter expression': 'Expressie invoeren', 'Yes': 'Ja', 'No': 'Nee',
  'Edit': 'Bewerken', 'Edit boolean': 'Ja/nee bewerken', 'Edit number': 'Getal bewerken',
  'Edit string': 'Tekst bewerken', 'Edit date': 'Datum bewerken', 'Edit input': 'Invoer bewerken',
  'Edit output': 'Uitvoer bewerken', 'Boolean value': 'Ja/nee-waarde',
  'String value': 'Tekstwaarde', 'Comparison': 'Vergelijking', 'Range': 'Bereik',
  'Comparison operator': 'Vergelijkingsoperator', 'Equals': 'Gelijk aan', 'Less': 'Kleiner dan',
  'Less or equals': 'Kleiner dan of gelijk aan', 'Greater': 'Groter dan',
  'Greater or equals': 'Groter dan of gelijk aan', 'Set value': 'Waarde zetten',
  'Match one': 'Een ervan', 'Match none': 'Geen ervan', 'Include': 'Insluiten',
  'Exclude': 'Uitsluiten', 'Predefined values': 'Vaste waarden',
  'Add predefined values': 'Vaste waarden toevoegen', 'Clear predefined values':
    'Vaste waarden wissen', 'Add values': 'Waarden toevoegen', 'No values': 'Geen waarden',
  'Custom values': 'Eigen waarden', 'Strings must be in double quotes':
    'Tekst staat tussen dubbele aanhalingstekens', 'Resize': 'Breedte aanpassen',
  'Start value': 'Beginwaarde', 'End value': 'Eindwaarde', 'Date': 'Datum', 'Time': 'Tijd',
  'View DRD': 'Beslisdiagram tonen'
};

export default dutchTranslate(DUTCH);
