// What a column name (or its comment) says about the data in it: the coverage audit's list of
// likely personal information, one row per kind with the reason an operator reads. Names are
// matched by whole words of snake_case or camelCase (`caller_phone`, `mobileNo`), so `phone`
// finds `home_phone` but `pan` does not find `company`. Comments are matched by the Chinese
// terms a lender's DBA writes there (`手机号`), since names are often pinyin or abbreviations.
//
// The list errs towards reporting: a false alarm costs an allow-list line with a reason, a
// miss costs personal data that no policy ever destroys.

export interface PersonalPattern {
  kind: string;
  /** Why it is personal information, and which rule makes it matter. */
  reason: string;
  /** Tested against the column name as lowercase words joined by `_`, e.g. `caller_phone_no`. */
  name: RegExp;
  /** Tested against the column comment (and, for blobs, the table name and comment). */
  comment?: RegExp;
  /** Date/time columns match only kinds that are dates (`birth_date`), not `email_sent_at`. */
  dates?: boolean;
}

/** `(?:^|_)(a|b)(?:_|$)`: whole words of a normalised name. */
const words = (...alternatives: string[]): RegExp => new RegExp(`(?:^|_)(?:${alternatives.join('|')})(?:_|$)`);
const either = (a: RegExp, b: RegExp): RegExp => new RegExp(`${a.source}|${b.source}`);

export const PERSONAL_PATTERNS: readonly PersonalPattern[] = [
  { kind: 'name', reason: "a person's name (PIPL art. 4)",
    // A bare `name` only as the whole column name: `file_name` names a file.
    name: either(/^(?:name|xingming)$/, words('(?:full|first|last|given|family|middle|maiden|real|legal|nick|sur|customer|person|contact|holder|account_holder|counterparty|payee|payer|beneficiary|spouse|guarantor|emergency_contact|applicant|borrower)_?name', 'xingming')),
    comment: /姓名|名字|户名|联系人/ },
  { kind: 'phone', reason: 'a phone number: identifies and reaches a person',
    name: words('phone', 'mobile', 'cellphone', 'telephone', 'tel', 'msisdn', 'phone_?no', 'mobile_?no', 'shouji', 'dianhua', 'sjh'),
    comment: /手机|电话|联系方式/ },
  { kind: 'id_number', reason: 'a national ID or other document number: identifies a person uniquely (sensitive, PIPL art. 28)',
    name: words('id_?(?:number|no|num|card|card_no)', 'national_id', 'identity_(?:number|no|card)', 'resident_id', 'cert(?:ificate)?_(?:no|number|num)', 'passport(?:_no|_number)?', 'ssn', 'sfz', 'sfzh', 'zjhm'),
    comment: /身份证|证件号|护照/ },
  { kind: 'card_or_account', reason: 'a bank card or account number: a financial account (sensitive, PIPL art. 28)',
    name: words('pan', 'iban', 'cvv', 'cvn', '(?:bank|credit|debit)_?card(?:_no|_number)?', 'card_?(?:no|number|num)', '(?:bank|repayment|settlement|payout|payment|receiving)_account', 'account_?(?:no|number|num)', 'yhkh'),
    comment: /银行卡|卡号|账号|账户/ },
  { kind: 'email', reason: 'an e-mail address: identifies and reaches a person',
    name: words('e?_?mail', 'email_address', 'mail_address'), comment: /邮箱|电子邮件/ },
  { kind: 'address', reason: 'a postal or home address: locates a person',
    name: words('address', 'addr', 'street', 'residence', 'domicile', 'postcode', 'postal_code', 'zip_?code', 'dizhi', 'hukou'),
    comment: /地址|住址|户籍|居住地/ },
  { kind: 'birth_date', reason: 'a date of birth: with a name or place, identifies a person', dates: true,
    name: words('birth_?(?:date|day|year)?', 'birthday', 'date_of_birth', 'dob', 'csrq'), comment: /出生|生日/ },
  { kind: 'biometric_or_media', reason: 'a face, voice or other biometric, or an image or recording of a person (sensitive, PIPL art. 28)',
    name: words('face', 'facial', 'selfie', 'portrait', 'photo', 'image', 'img', 'picture', 'voice', 'voiceprint', 'audio', 'video', 'recording', 'biometric', 'fingerprint_(?:template|image)', 'finger_?vein', 'iris', 'liveness'),
    comment: /人脸|面部|声纹|指纹|照片|影像|录音|录像|视频|生物识别/ },
  { kind: 'device_or_network', reason: 'an IP address, device fingerprint or identifier: tracks a person across sessions',
    name: words('ip', 'ip_?addr(?:ess)?', 'ipv4', 'ipv6', 'client_ip', 'device_?(?:id|fingerprint)', 'fingerprint', 'imei', 'imsi', 'idfa', 'oaid', 'android_id', 'mac_?address', 'user_agent'),
    comment: /IP地址|设备指纹|设备号|设备标识/ },
  { kind: 'location', reason: 'a precise location (sensitive when it tracks movements, PIPL art. 28)',
    name: words('latitude', 'longitude', 'lat', 'lng', 'lon', 'gps', 'geo_?location', 'geohash'), comment: /经纬度|定位|位置/ },
  { kind: 'income', reason: 'income or salary: financial information of a person',
    name: words('income', 'salary', 'wage', 'annual_income', 'monthly_income'), comment: /收入|工资|薪资/ },
];

/** `mobileNo` → `mobile_no`, `Caller-Phone` → `caller_phone`. */
export function normaliseName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

export interface ColumnFacts {
  name: string;
  comment: string | null;
  /** pg_type.typcategory of the column's base type: B boolean, D date/time, U user (bytea is U)… */
  category: string;
  /** Base type name (`bytea`, `text`…). */
  baseType: string;
  table: string;
  tableComment: string | null;
}

const BLOB_TYPES = new Set(['bytea', 'oid']);

/** The kinds of personal information the column likely holds, with their reasons; [] if none. */
export function personalKinds(c: ColumnFacts): PersonalPattern[] {
  // A flag (`phone_verified`) says something about the data, not the data itself.
  if (c.category === 'B') return [];
  const name = normaliseName(c.name);
  const blob = BLOB_TYPES.has(c.baseType);
  return PERSONAL_PATTERNS.filter((p) => {
    if (c.category === 'D' && !p.dates) return false;
    if (p.name.test(name) || (c.comment !== null && p.comment?.test(c.comment))) return true;
    // A blob takes its meaning from its table: `face_images.data`.
    return blob && p.kind === 'biometric_or_media' &&
      (p.name.test(normaliseName(c.table)) || (c.tableComment !== null && p.comment!.test(c.tableComment)));
  });
}
