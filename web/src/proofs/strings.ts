// Every sentence of the "Prove my membership" panel, in English and Simplified Chinese. The
// page picks the catalogue from the browser's language; tests/web fails on a key missing
// from either catalogue. (The web branch's shared catalogue did not exist yet when this
// panel was written: merge these keys into it when it lands.)

export interface ProofStrings {
  title: string;
  intro: string;
  whatLabel: string;
  campaignLabel: string;
  campaignHint: string;
  make: string;
  group: (tier: number, tierName: string) => string;
  stepSign: string;
  stepGroup: string;
  stepFiles: string;
  stepProving: string;
  done: (seconds: string) => string;
  download: string;
  textLabel: string;
  copy: string;
  copied: string;
  qrAlt: string;
  campaignMissing: string;
  notInGroup: string;
  registerOwn: string;
  registerFree: string;
  registered: string;
  smallGroup: (size: number, minimum: number) => string;
  notActive: string;
  failed: (detail: string) => string;
}

const en: ProofStrings = {
  title: "Prove my membership",
  intro:
    "Make a proof for a partner's offer. It says only what you choose below and which campaign it is for: not your wallet, not your member number, not which member you are. Each campaign accepts one proof per member.",
  whatLabel: "What to prove",
  campaignLabel: "Campaign",
  campaignHint: "As the partner wrote it, for example cinema-2026-12.",
  make: "Make my proof",
  group: (tier, name) => (tier === 0 ? "I am an active member" : `I am an active member, ${name} or higher`),
  stepSign: "Step 1 of 4: sign in your wallet to open your private identity (free, nothing is sent)…",
  stepGroup: "Step 2 of 4: reading the members' group…",
  stepFiles: "Step 3 of 4: loading the proving files…",
  stepProving: "Step 4 of 4: computing the proof in this browser (a few seconds)…",
  done: (seconds) => `Your proof is ready (${seconds} s). Give it to the partner as a file, as text or as the QR code.`,
  download: "Download the proof",
  textLabel: "The proof as text",
  copy: "Copy the text",
  copied: "Copied.",
  qrAlt: "QR code of the proof",
  campaignMissing: "Type the campaign the partner gave you.",
  notInGroup:
    "Your private identity is not in the published group yet. Register it once (a small transaction from your wallet); it counts from the programme's next publication.",
  registerOwn: "Register my private identity (I pay the fee)",
  registerFree: "Register my private identity without a fee",
  registered: "Registered. Come back after the programme's next publication to make your proof.",
  smallGroup: (size, minimum) =>
    `Careful: only ${size} members are in this group (fewer than ${minimum}), so a proof hides you among few people.`,
  notActive: "Only active members can make proofs.",
  failed: (detail) => `The proof could not be made (${detail}). Nothing was sent; please try again.`,
};

const zh: ProofStrings = {
  title: "证明我的会员身份",
  intro:
    "为合作伙伴的优惠生成一份证明。它只说明您在下面选择的内容以及适用的活动：不包含您的钱包、会员编号，也不透露您是哪一位会员。每个活动每位会员只接受一份证明。",
  whatLabel: "要证明的内容",
  campaignLabel: "活动",
  campaignHint: "按合作伙伴提供的写法填写，例如 cinema-2026-12。",
  make: "生成我的证明",
  group: (tier, name) => (tier === 0 ? "我是有效会员" : `我是有效会员，等级为 ${name} 或更高`),
  stepSign: "第 1 步（共 4 步）：在钱包中签名以打开您的私密身份（免费，不会发送任何内容）…",
  stepGroup: "第 2 步（共 4 步）：正在读取会员群组…",
  stepFiles: "第 3 步（共 4 步）：正在加载证明文件…",
  stepProving: "第 4 步（共 4 步）：正在本浏览器中计算证明（需要几秒钟）…",
  done: (seconds) => `您的证明已生成（${seconds} 秒）。可以以文件、文本或二维码的形式交给合作伙伴。`,
  download: "下载证明",
  textLabel: "证明文本",
  copy: "复制文本",
  copied: "已复制。",
  qrAlt: "证明的二维码",
  campaignMissing: "请输入合作伙伴提供的活动名称。",
  notInGroup:
    "您的私密身份尚未出现在已发布的群组中。请注册一次（从您的钱包发送一笔小额交易）；从本计划下一次发布起生效。",
  registerOwn: "注册我的私密身份（由我支付手续费）",
  registerFree: "免费注册我的私密身份",
  registered: "已注册。请在本计划下一次发布后回来生成证明。",
  smallGroup: (size, minimum) => `请注意：该群组只有 ${size} 位会员（少于 ${minimum} 位），证明只能将您隐藏在少数人之中。`,
  notActive: "只有有效会员才能生成证明。",
  failed: (detail) => `无法生成证明（${detail}）。没有发送任何内容，请重试。`,
};

export const catalogues: Record<"en" | "zh", ProofStrings> = { en, zh };

/** The catalogue for the browser's language (Chinese for any zh-*, else English). */
export function proofStrings(language: string = navigator.language): ProofStrings {
  return language.toLowerCase().startsWith("zh") ? zh : en;
}
