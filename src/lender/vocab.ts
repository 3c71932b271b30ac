// Deterministic pseudo-randomness and the vocabulary the seeder draws realistic values from.
// Every random value is a hash of (row id, seed, salt) computed by PostgreSQL itself, so a
// million rows are generated server-side without a round trip each, and the same seed gives
// the same rows on node-postgres and on PGlite. hashint8extended (PostgreSQL ≥ 11) is the
// built-in 64-bit Jenkins hash; the expressions below are plain SQL text because every input
// is a constant of this file or an integer the seeder has checked.

/** SQL text for a pseudo-random draw keyed by a row expression. */
export class Rng {
  private readonly base: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2 ** 31) {
      throw new RangeError(`seed must be an integer between 0 and 2^31, got ${seed}`);
    }
    this.base = seed * 1000;
  }

  /** A non-negative integer below 2^31; `salt` (0–999) makes draws of one row independent. */
  int(key: string, salt: number): string {
    return `(hashint8extended((${key})::bigint, ${this.base + salt}) & 2147483647)`;
  }

  /** An integer in [0, n). */
  below(key: string, salt: number, n: number): string {
    return `(${this.int(key, salt)} % ${n})::int`;
  }

  /** A float in [0, 1). */
  unit(key: string, salt: number): string {
    return `(${this.int(key, salt)}::float8 / 2147483648.0)`;
  }

  /** One element of a constant list. */
  pick(values: readonly string[], key: string, salt: number): string {
    return `${textArray(values)}[1 + ${this.below(key, salt, values.length)}]`;
  }
}

/** A text[] literal of constants (no quotes or commas in them, checked). */
export function textArray(values: readonly string[]): string {
  for (const v of values) if (/[,'"{}\\\s]/.test(v)) throw new Error(`not a plain constant: ${v}`);
  return `('{${values.join(',')}}'::text[])`;
}

// The most common surnames (about 60% of the population), with pinyin for e-mail addresses.
export const SURNAMES: readonly [string, string][] = [
  ['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'],
  ['黄', 'huang'], ['赵', 'zhao'], ['吴', 'wu'], ['周', 'zhou'], ['徐', 'xu'], ['孙', 'sun'],
  ['马', 'ma'], ['朱', 'zhu'], ['胡', 'hu'], ['郭', 'guo'], ['何', 'he'], ['高', 'gao'],
  ['林', 'lin'], ['罗', 'luo'], ['郑', 'zheng'], ['梁', 'liang'], ['谢', 'xie'], ['宋', 'song'],
  ['唐', 'tang'], ['许', 'xu'], ['韩', 'han'], ['冯', 'feng'], ['邓', 'deng'], ['曹', 'cao'],
  ['彭', 'peng'], ['曾', 'zeng'], ['肖', 'xiao'], ['田', 'tian'], ['董', 'dong'], ['袁', 'yuan'],
  ['潘', 'pan'], ['于', 'yu'], ['蒋', 'jiang'], ['蔡', 'cai'], ['余', 'yu'], ['杜', 'du'],
  ['叶', 'ye'], ['程', 'cheng'], ['苏', 'su'], ['魏', 'wei'], ['吕', 'lv'], ['丁', 'ding'],
  ['任', 'ren'], ['沈', 'shen'], ['姚', 'yao'], ['卢', 'lu'], ['姜', 'jiang'], ['崔', 'cui'],
  ['钟', 'zhong'], ['谭', 'tan'], ['陆', 'lu'], ['汪', 'wang'], ['范', 'fan'], ['金', 'jin'],
];

export const GIVEN_CHARS: readonly string[] = [...new Set(
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘秀兰凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽',
)];

// Resident identity number region codes (GB/T 2260) and the city each belongs to.
export const REGIONS: readonly [code: string, city: string][] = [
  ['110101', '北京'], ['110105', '北京'], ['310101', '上海'], ['310115', '上海'],
  ['440106', '广州'], ['440305', '深圳'], ['330106', '杭州'], ['510107', '成都'],
  ['420106', '武汉'], ['320106', '南京'], ['610113', '西安'], ['500103', '重庆'],
  ['370202', '青岛'], ['120101', '天津'], ['430102', '长沙'], ['410105', '郑州'],
  ['350203', '厦门'], ['320505', '苏州'], ['530102', '昆明'], ['210102', '大连'],
];

// Mobile number prefixes of the three carriers: every phone matches 1[3-9]\d{9}.
export const PHONE_PREFIXES: readonly string[] = [
  '130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '153',
  '155', '156', '157', '158', '159', '166', '173', '176', '177', '180', '181', '185', '186',
  '187', '188', '189', '191', '198', '199',
];

export const EMAIL_DOMAINS: readonly string[] = ['qq.com', '163.com', '126.com', 'sina.com', 'foxmail.com', 'outlook.com'];

export const DOCUMENT_KINDS: readonly string[] = ['id_card_front', 'id_card_back', 'income_proof', 'bank_statement'];

// Issuer identification numbers of large banks' UnionPay debit cards (the first six digits).
export const BANK_BINS: readonly string[] = ['622202', '621700', '622848', '621661', '622588', '621483', '622260', '621226'];

export const COMPLAINT_CHANNELS: readonly string[] = ['hotline', 'app', 'branch', 'regulator_referral'];

export const COMPLAINT_CATEGORIES: readonly string[] = ['collection_conduct', 'fees', 'credit_report_error', 'privacy', 'repayment', 'service'];

// Complaint summaries as an agent would write them: free text that names the complainant.
export const COMPLAINT_TEXTS: readonly string[] = [
  '反映催收电话过于频繁', '对提前还款手续费有异议', '称征信报告逾期记录有误', '询问个人信息使用范围',
  '还款后额度未恢复', '要求注销账户并删除资料', '对利率计算方式有疑问', '称未收到还款提醒短信',
];

export const ACCESS_ACTIONS: readonly string[] = ['login', 'view_statement', 'view_loan', 'update_phone', 'download_contract', 'agent_view_profile'];

export const USER_AGENTS: readonly string[] = ['LenderApp/5.2.1(iOS17.4)', 'LenderApp/5.2.0(Android14)', 'LenderApp/4.9.8(Android12)', 'Mozilla/5.0(WindowsNT10.0)', 'WeChatMiniProgram/8.0.47'];

export const SEGMENTS: readonly string[] = ['新客', '优质客户', '沉睡客户', '高频借款', '还款良好', '待激活'];

export const INTERESTS: readonly string[] = ['旅游', '数码', '教育', '汽车', '家装', '母婴', '健身', '美食'];

// GB 11643 check digit: weights of the 17 body digits; the digit is CHECK_CHARS[sum % 11].
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/** The weighted sum of each region code's six digits, in REGIONS order. */
const REGION_SUMS = REGIONS.map(([code]) => [...code].reduce((sum, d, i) => sum + Number(d) * ID_WEIGHTS[i]!, 0));

/**
 * SQL text: the check digit of a body made of REGIONS[region] (1-based SQL expression), the
 * birth date as an integer YYYYMMDD and a three-digit sequence number. Integer arithmetic
 * rather than 17 substrings cast to int, which cost more than the rest of a customer row.
 */
export function idCheckDigit(region: string, ymd: string, seq: string): string {
  const digit = (n: string, place: number) => `(${n} / ${10 ** place} % 10)`;
  const terms = [
    `('{${REGION_SUMS.join(',')}}'::int[])[${region}]`,
    ...ID_WEIGHTS.slice(6, 14).map((w, j) => `${digit(ymd, 7 - j)} * ${w}`),
    ...ID_WEIGHTS.slice(14).map((w, j) => `${digit(seq, 2 - j)} * ${w}`),
  ];
  return `substr('${CHECK_CHARS}', (${terms.join(' + ')}) % 11 + 1, 1)`;
}
