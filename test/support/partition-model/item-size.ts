/**
 * DynamoDB's size of an item, as it meters reads and writes: attribute names and values in bytes,
 * numbers about one byte per two digits. Part of the partition model (see ../partition-model.ts).
 */

/** One attribute value, marshalled (`{ S: 'x' }`, `{ N: '1' }`...). */
export type AttributeValue = Record<string, unknown>;
/** An item or a key, marshalled. */
export type Item = Record<string, AttributeValue>;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** DynamoDB's size of one attribute value. */
const valueSize = (value: AttributeValue): number => {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return bytes(inner as string);
    case 'N': {
      const digits = String(inner).replace(/^-|\.|^0+|0+$/g, '').length;
      return Math.ceil(Math.max(1, digits) / 2) + 1;
    }
    case 'B':
      return typeof inner === 'string' ? Buffer.from(inner, 'base64').length : (inner as Uint8Array).length;
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + bytes(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + valueSize({ N: n }), 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, v) => sum + 1 + valueSize(v), 0);
    case 'M':
      return 3 + Object.entries(inner as Item).reduce((sum, [name, v]) => sum + 1 + bytes(name) + valueSize(v), 0);
    default:
      return 1;
  }
};

/** DynamoDB's size of an item (marshalled): every attribute's name and value. */
export const itemSize = (item: Readonly<Record<string, object>> | undefined): number =>
  item
    ? Object.entries(item).reduce((sum, [name, value]) => sum + bytes(name) + valueSize(value as AttributeValue), 0)
    : 0;
