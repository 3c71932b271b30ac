// The reply an operator can send to the data subject: what was erased, what is kept, under
// which law, until when. In Chinese, the subject's language.
import type { ErasurePolicyOutcome } from './types.ts';
import { DEFAULT_TIME_ZONE, localDate } from '../time.ts';

/**
 * The subject's calendar day: the reply is a Chinese letter to a person in China, so its dates
 * are Beijing dates (a request at 21:36 UTC was made the next day there), whatever zone the
 * operators' LETHE_TIMEZONE shows them.
 */
const day = (iso: string) => localDate(iso, DEFAULT_TIME_ZONE);

export function replyText(ticket: string, receivedAt: string, outcomes: ErasurePolicyOutcome[]): string {
  const lines = [`您于 ${day(receivedAt)} 提交的个人信息删除请求（编号 ${ticket}）已处理，结果如下：`];
  for (const o of outcomes) {
    if (o.destroyed > 0) lines.push(`- ${o.title}：已删除 ${o.destroyed} 条记录。`);
    if (o.anonymised > 0) lines.push(`- ${o.title}：已匿名化处理 ${o.anonymised} 条记录。`);
    if (o.deferred > 0) {
      const until = o.until ? `保存至 ${day(o.until)}` : '在法定保存期限届满前保存';
      lines.push(`- ${o.title}：依据${o.basis.map((b) => `《${b}》`).join('、') || '法律、行政法规'}须${until}（${o.deferred} 条）。` +
        `保存期间除存储和采取必要的安全保护措施外不再处理（《个人信息保护法》第四十七条），期限届满后自动${o.action === 'anonymise' ? '匿名化处理' : '删除'}。`);
    }
    if ((o.awaiting ?? 0) > 0) {
      lines.push(`- ${o.title}：${o.awaiting} 件纸质或介质材料已列入销毁任务，将在监督下销毁，销毁前除存储外不再处理。`);
    }
    if (o.held > 0) lines.push(`- ${o.title}：因法律程序需要暂缓删除（${o.held} 条），相关程序结束后将予以删除。`);
  }
  if (lines.length === 1) lines.push('- 我们未持有须删除的您的个人信息。');
  return lines.join('\n');
}
