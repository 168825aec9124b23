// Every sentence the page shows, in each language it speaks. Nothing the member reads is
// written anywhere else: index.html names catalogue keys (data-i18n), the code asks `t()`.
// `zh` is typed as the English catalogue, so tsc fails when a key is missing in one language,
// and tests/web/test_i18n.py checks the built catalogues key by key as well.

export type Lang = "en" | "zh-CN";
export const LANGUAGES: readonly Lang[] = ["en", "zh-CN"];
/** Each language's own name, shown in the language switch. */
export const LANGUAGE_NAMES: Record<Lang, string> = { en: "English", "zh-CN": "中文" };

type Fields = "full_name" | "email" | "phone" | "birth_date" | "salt";

const en = {
  // ------------------------------------------------------------ the page's frame
  documentTitle: (programme: string) => `${programme} – your membership`,
  skipLink: "Skip to your membership",
  languageLabel: "Language",
  footerRunBy: "This programme is run by",
  footerRunByEnd: ".",
  footerContact: "Questions about your membership or your data? Write to",
  footerPolicy: "Privacy policy",
  footerContactPage: "Contact page",
  logoAlt: (programme: string) => `${programme} logo`,
  // ------------------------------------------------------------ connecting
  connectTitle: "Connect your wallet",
  connectText: "Your membership lives in your Ethereum wallet. Connect it to see your card, points and privacy choices.",
  walletsLabel: "Installed wallets",
  connectWallet: "Connect wallet",
  connectWith: (name: string) => `Connect with ${name}`,
  account: (short: string) => `Wallet ${short}`,
  walletMissing:
    "No Ethereum wallet was found in this browser. Install MetaMask (or another Ethereum wallet), then reload this page.",
  chooseWallet: "Several wallets are installed. Choose the one that holds your membership.",
  rejected: "You cancelled the request in your wallet. Nothing was changed.",
  disconnected:
    "Your wallet lost its connection to the network. Check your wallet, then connect again.",
  unsupported:
    "Your wallet cannot do this. Try another wallet, or save with your own transaction if that is offered.",
  // ------------------------------------------------------------ network
  networkTitle: "Wrong network",
  networkText: (chainName: string) =>
    `The programme runs on ${chainName}. Your wallet will ask you to switch to it, and to add it first if it does not know it yet.`,
  switchNetwork: "Switch network",
  wrongNetwork: (chainName: string) =>
    `Your wallet is connected to another network. Switch to ${chainName} to see your membership.`,
  // ------------------------------------------------------------ the card
  cardTitle: "Membership card",
  cardStatus: "Status",
  cardTier: "Tier",
  cardSince: "Member since",
  cardPoints: "Points",
  cardConsent: "You agreed to",
  points: (amount: bigint) => `${amount} points`,
  watchAsset: "Show my points in my wallet",
  assetAdded: "Your points now show in your wallet.",
  assetNotAdded: "Your wallet did not add the points.",
  status: ["Not a member", "Active", "Suspended", "Ended", "Erased", "Moved to another wallet"] as readonly string[],
  tiers: { 0: "basic", 1: "silver", 2: "gold", 3: "platinum" } as Readonly<Record<number, string>>,
  tierUnknown: (tier: number) => `tier ${tier}`,
  purposes: { 1: "marketing e-mails", 2: "usage analytics", 4: "sharing with partners" } as Readonly<Record<number, string>>,
  purposeUnknown: (flag: number) => `purpose ${flag}`,
  consentNothing: "nothing beyond running your membership",
  list: (items: string[]) =>
    items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`,
  capitalise: (text: string) => text.charAt(0).toUpperCase() + text.slice(1),
  notMember:
    "This wallet is not a member of the programme. If you joined with another wallet, connect that one instead.",
  suspended:
    "Your membership is suspended, so you cannot redeem points right now. Please contact the programme team.",
  ended: "Your membership has ended. You can still see your history and check your data.",
  erased: "Your membership record was erased. No personal data is kept about you.",
  erasedAtRequest: "Your membership record was erased at your request. No personal data is kept about you.",
  // ------------------------------------------------------------ consent
  consentTitle: "Your privacy choices",
  consentLegend: "You may use my data for:",
  consentPolicy: (version: number) =>
    `Saving means you agree to version ${version} of the privacy policy. You can change your mind at any time.`,
  readPolicy: "Read the privacy policy",
  saveRelay: "Save without a fee",
  saveOwn: "Save with my wallet (I pay the fee)",
  confirmTransaction: "Confirm the transaction in your wallet…",
  signMessage: "Sign the message in your wallet…",
  saving: "Saving…",
  saved: (agreed: string) => `Saved. You now agree to ${agreed}.`,
  savedFree: (agreed: string) => `Saved without a fee. You now agree to ${agreed}.`,
  nothingToSave: "Nothing to save: these choices are already on record.",
  relayUnavailable:
    "The gas-free service cannot be reached right now. Try again in a few minutes, or save with your own wallet (you pay a small network fee).",
  // ------------------------------------------------------------ rewards
  rewardsTitle: "Rewards",
  redeemFree: "Redeem without a fee",
  redeemFreeLabel: (reward: string, cost: bigint) => `Redeem without a fee: ${reward} for ${cost} points`,
  redeemOwn: "Redeem with my wallet",
  redeemOwnLabel: (reward: string, cost: bigint) =>
    `Redeem with my wallet: ${reward} for ${cost} points (you pay the network fee)`,
  pointsMissing: (missing: bigint) => `${missing} more points needed`,
  redeeming: "Redeeming…",
  redeemed: (reward: string, cost: bigint, left: bigint) =>
    `You redeemed the ${reward} for ${cost} points. You have ${left} points left.`,
  redeemedFree: (reward: string, cost: bigint, left: bigint) =>
    `You redeemed the ${reward} for ${cost} points without a fee. You have ${left} points left.`,
  redeemRelayUnavailable:
    "The gas-free service cannot be reached right now. Try again in a few minutes, or redeem with your own wallet (you pay a small network fee).",
  notEnoughPoints: (reward: string, cost: bigint, balance: bigint) =>
    `The ${reward} costs ${cost} points, but you have ${balance}. Collect ${cost - balance} more points first.`,
  rewardUnavailable: (reward: string) => `The ${reward} is no longer in the catalogue.`,
  rewardUnknown: (id: bigint) => `reward ${id}`,
  // ------------------------------------------------------------ history
  historyTitle: "What happened to your membership",
  historyEmpty: "Nothing yet.",
  joined: (tier: string) => `You joined as a ${tier} member.`,
  detailsUpdated: "Your personal details were updated; a new fingerprint of them is on record.",
  tierChanged: (from: string, to: string) => `Your tier changed from ${from} to ${to}.`,
  consentChanged: (agreed: string, version: string, how: "own" | "relay" | "form") =>
    `Your privacy choices changed: you agree to ${agreed} (policy version ${version}; ${
      how === "own"
        ? "you saved it with your wallet"
        : how === "relay"
          ? "saved without a fee through the programme"
          : "recorded from your enrollment form"
    }).`,
  suspendedEvent: "The programme suspended your membership.",
  reinstated: "The programme reinstated your membership.",
  revoked: "The programme ended your membership.",
  left: "You left the programme.",
  erasedEvent: "Your record was erased; the programme keeps no personal data about you.",
  redeemedEvent: (reward: string, cost: string) => `You redeemed the ${reward} for ${cost} points.`,
  forfeited: (amount: string) => `${amount} points were forfeited after your membership ended.`,
  signaturesCancelled: "You cancelled the gas-free requests you had signed and that were not sent yet.",
  creditSkipped: (amount: string) =>
    `A credit of ${amount} points was not paid: your membership was not active at the time.`,
  creditRoundedToZero: (amount: string) =>
    `A credit of ${amount} base points came to less than one point at your tier, so nothing was paid.`,
  earned: (amount: string) => `You earned ${amount} points.`,
  removed: (amount: string) => `${amount} points were removed.`,
  received: (amount: string, from: string) => `You received ${amount} points from ${from}.`,
  sent: (amount: string, to: string) => `You sent ${amount} points to ${to}.`,
  otherEvent: (name: string) => `Programme event: ${name}.`,
  // ------------------------------------------------------------ check my data
  checkTitle: "Check my data",
  checkIntro:
    "The chain keeps only a fingerprint of your details, made with the secret salt you were given. Type your details and the salt to check that the fingerprint matches. Nothing you type leaves this browser.",
  fullName: "Full name",
  email: "E-mail address",
  phone: "Phone number (optional)",
  phoneHint: "With the country code, for example +49 151 12345678.",
  birthDate: "Birth date (optional)",
  birthPlaceholder: "YYYY-MM-DD",
  birthHint: "As year-month-day, for example 1990-02-28.",
  salt: "Your salt",
  saltHint: "64 letters and digits, from the letter you received when you joined.",
  checkButton: "Check my data",
  fieldWords: {
    full_name: "full name",
    email: "e-mail address",
    phone: "phone number",
    birth_date: "birth date",
    salt: "salt",
  } as Readonly<Record<Fields, string>>,
  checkField: (field: string, reason: string) => `Please check the ${field}: ${reason}.`,
  matches: "Your details match the record on the chain.",
  mismatch:
    "These details do not match the record on the chain. Check the spelling of each field and the salt you were given; if they are right, ask the programme team to correct your record.",
  // ------------------------------------------------------------ failures
  paused: "The programme is paused for maintenance. Nothing can be changed right now; please try again later.",
  stalePolicy:
    "The privacy policy changed since this page was loaded. Reload the page to see the current version, then save again.",
  noConnection: "The programme's network cannot be reached right now. Check your connection and reload the page.",
  refusedBy: (name: string) => `Something went wrong (the programme refused: ${name}). Nothing was changed; please try again.`,
  unexpected: (detail: string) => `Something went wrong (${detail}). Nothing was changed; please try again.`,
  relay: {
    bad_request: "The request is not one the relay understands. Reload the page and try again.",
    bad_signature: "The signature does not belong to this membership on this programme's network. Reload the page and save again.",
    wrong_chain: "This was signed for another network than the programme's. Switch your wallet's network and save again.",
    wrong_contract: "This was signed for another contract than the programme's. Reload the page and save again.",
    expired: "This signed change expires too soon to be saved. Save again to sign a new one.",
    deadline_too_far: "A signed change may be valid for at most 24 hours. Save again.",
    not_member: "This wallet is not an enrolled member, so the programme cannot save its choices without a fee.",
    stale_policy: "The privacy policy changed since this page was loaded. Reload the page and save again.",
    used_nonce: "This signed change was already used or cancelled. Reload the page and save again.",
    nothing_to_change: "Nothing to save: these choices are already on record.",
    in_flight: "Another change to this membership is being saved right now. Wait a moment, reload the page and try again.",
    paused: "The programme is paused for maintenance. Please try again later.",
    refused_by_chain: "The programme's contract would refuse this change. Reload the page and save again.",
    rate_limited_ip: "Too many requests from your network in a short time. Please wait and try again.",
    rate_limited_member: "Too many requests for this membership in a short time. Please wait and try again.",
  } as Readonly<Record<string, string>>,
  /** The relay's refusals of a gas-free redemption, by code (nothing was charged for any). */
  redeemRelay: {
    bad_request: "The request is not one the relay understands. Reload the page and try again.",
    bad_signature: "The signature does not belong to this membership on this programme's network. Reload the page and redeem again.",
    wrong_chain: "This was signed for another network than the programme's. Switch your wallet's network and redeem again.",
    wrong_contract: "This was signed for another contract than the programme's. Reload the page and redeem again.",
    expired: "This signed redemption expires too soon to be sent. Redeem again to sign a new one.",
    deadline_too_far: "A signed redemption may be valid for at most 24 hours. Redeem again.",
    not_member: "This wallet is not an enrolled member, so it cannot redeem rewards.",
    not_active: "Your membership is not active (suspended, ended or moved), so you cannot redeem rewards right now.",
    used_nonce: "This signed redemption was already used or cancelled. Reload the page and redeem again.",
    unknown_reward: "This reward is no longer in the catalogue. Nothing was charged. Reload the page to see the rewards on offer.",
    cost_changed:
      "The price of this reward changed after you signed. Nothing was charged. Reload the page to see the current price, then redeem again.",
    not_enough_points: "You do not have enough points for this reward. Nothing was charged.",
    in_flight: "Another redemption of yours is being sent right now. Wait a moment, reload the page and try again.",
    paused: "The programme is paused for maintenance. Nothing was charged; please try again later.",
    refused_by_chain: "The programme's contract would refuse this redemption. Nothing was charged. Reload the page and try again.",
    rate_limited_ip: "Too many requests from your network in a short time. Please wait and try again.",
    rate_limited_member: "Too many requests for this membership in a short time. Please wait and try again.",
  } as Readonly<Record<string, string>>,
  // ------------------------------------------------------------ prove my membership (issue 19)
  proofTitle: "Prove my membership",
  proofIntro:
    "Make a proof for a partner's offer. It says only what you choose below and which campaign it is for: not your wallet, not your member number, not which member you are. Each campaign accepts one proof per member.",
  proofWhatLabel: "What to prove",
  proofCampaignLabel: "Campaign",
  proofCampaignHint: "As the partner wrote it, for example cinema-2026-12.",
  proofMake: "Make my proof",
  proofGroup: (tier: number, name: string) => (tier === 0 ? "I am an active member" : `I am an active member, ${name} or higher`),
  proofStepSign: "Step 1 of 4: sign in your wallet to open your private identity (free, nothing is sent)…",
  proofStepGroup: "Step 2 of 4: reading the members' group…",
  proofStepFiles: "Step 3 of 4: loading the proving files…",
  proofStepProving: "Step 4 of 4: computing the proof in this browser (a few seconds)…",
  proofDone: (seconds: string) => `Your proof is ready (${seconds} s). Give it to the partner as a file, as text or as the QR code.`,
  proofDownload: "Download the proof",
  proofTextLabel: "The proof as text",
  proofCopy: "Copy the text",
  proofCopied: "Copied.",
  proofQrAlt: "QR code of the proof",
  proofCampaignMissing: "Type the campaign the partner gave you.",
  proofNotInGroup:
    "Your private identity is not in the published group yet. Register it once (a small transaction from your wallet); it counts from the programme's next publication.",
  proofRegisterOwn: "Register my private identity (I pay the fee)",
  proofRegisterFree: "Register my private identity without a fee",
  proofRegistered: "Registered. Come back after the programme's next publication to make your proof.",
  proofSmallGroup: (size: number, minimum: number) =>
    `Careful: only ${size} members are in this group (fewer than ${minimum}), so a proof hides you among few people.`,
  proofNotActive: "Only active members can make proofs.",
  proofFailed: (detail: string) => `The proof could not be made (${detail}). Nothing was sent; please try again.`,
};

export type Catalogue = typeof en;

const zh: Catalogue = {
  documentTitle: (programme) => `${programme} – 我的会员`,
  skipLink: "跳到我的会员信息",
  languageLabel: "语言",
  footerRunBy: "本计划由",
  footerRunByEnd: "运营。",
  footerContact: "对会员资格或个人数据有疑问？请写信至",
  footerPolicy: "隐私政策",
  footerContactPage: "联系页面",
  logoAlt: (programme) => `${programme} 标志`,
  connectTitle: "连接钱包",
  connectText: "您的会员资格保存在您的以太坊钱包中。连接钱包即可查看会员卡、积分和隐私选择。",
  walletsLabel: "已安装的钱包",
  connectWallet: "连接钱包",
  connectWith: (name) => `使用 ${name} 连接`,
  account: (short) => `钱包 ${short}`,
  walletMissing: "此浏览器中没有找到以太坊钱包。请安装 MetaMask（或其他以太坊钱包），然后重新加载此页面。",
  chooseWallet: "已安装多个钱包。请选择存有您会员资格的那个钱包。",
  rejected: "您在钱包中取消了请求。没有任何更改。",
  disconnected: "您的钱包与网络断开了连接。请检查钱包，然后重新连接。",
  unsupported: "您的钱包无法执行此操作。请换一个钱包，或在可用时用您自己的交易保存。",
  networkTitle: "网络不正确",
  networkText: (chainName) => `本计划运行在 ${chainName} 上。您的钱包会请您切换到该网络；如果钱包还不认识它，会先请您添加。`,
  switchNetwork: "切换网络",
  wrongNetwork: (chainName) => `您的钱包连接的是其他网络。请切换到 ${chainName} 以查看您的会员信息。`,
  cardTitle: "会员卡",
  cardStatus: "状态",
  cardTier: "等级",
  cardSince: "入会日期",
  cardPoints: "积分",
  cardConsent: "您同意的用途",
  points: (amount) => `${amount} 积分`,
  watchAsset: "在我的钱包中显示积分",
  assetAdded: "您的积分现在会显示在钱包中。",
  assetNotAdded: "您的钱包没有添加积分。",
  status: ["非会员", "有效", "已暂停", "已终止", "已删除", "已转移至另一钱包"],
  tiers: { 0: "基础", 1: "白银", 2: "黄金", 3: "铂金" },
  tierUnknown: (tier) => `第 ${tier} 级`,
  purposes: { 1: "营销电子邮件", 2: "使用情况分析", 4: "与合作伙伴共享" },
  purposeUnknown: (flag) => `用途 ${flag}`,
  consentNothing: "仅用于维持您的会员资格",
  list: (items) => (items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join("、")}和${items.at(-1)}`),
  capitalise: (text) => text,
  notMember: "此钱包不是本计划的会员。如果您是用其他钱包加入的，请改为连接那个钱包。",
  suspended: "您的会员资格已被暂停，目前无法兑换积分。请联系计划团队。",
  ended: "您的会员资格已终止。您仍可查看历史记录并核对您的数据。",
  erased: "您的会员记录已被删除。我们不再保存您的任何个人数据。",
  erasedAtRequest: "您的会员记录已应您的要求删除。我们不再保存您的任何个人数据。",
  consentTitle: "您的隐私选择",
  consentLegend: "您可以将我的数据用于：",
  consentPolicy: (version) => `保存即表示您同意第 ${version} 版隐私政策。您可以随时改变主意。`,
  readPolicy: "阅读隐私政策",
  saveRelay: "免费保存",
  saveOwn: "用我的钱包保存（我支付手续费）",
  confirmTransaction: "请在钱包中确认交易…",
  signMessage: "请在钱包中签署消息…",
  saving: "正在保存…",
  saved: (agreed) => `已保存。您现在同意：${agreed}。`,
  savedFree: (agreed) => `已免费保存。您现在同意：${agreed}。`,
  nothingToSave: "无需保存：这些选择已经记录在案。",
  relayUnavailable: "免手续费服务暂时无法访问。请几分钟后再试，或用您自己的钱包保存（需支付少量网络手续费）。",
  rewardsTitle: "奖励",
  redeemFree: "免手续费兑换",
  redeemFreeLabel: (reward, cost) => `免手续费兑换：用 ${cost} 积分兑换${reward}`,
  redeemOwn: "用我的钱包兑换",
  redeemOwnLabel: (reward, cost) => `用我的钱包兑换：用 ${cost} 积分兑换${reward}（您支付网络手续费）`,
  pointsMissing: (missing) => `还差 ${missing} 积分`,
  redeeming: "正在兑换…",
  redeemed: (reward, cost, left) => `您已用 ${cost} 积分兑换了${reward}。您还剩 ${left} 积分。`,
  redeemedFree: (reward, cost, left) => `您已免手续费用 ${cost} 积分兑换了${reward}。您还剩 ${left} 积分。`,
  redeemRelayUnavailable: "免手续费服务暂时无法访问。请几分钟后再试，或用您自己的钱包兑换（需支付少量网络手续费）。",
  notEnoughPoints: (reward, cost, balance) =>
    `${reward}需要 ${cost} 积分，但您只有 ${balance} 积分。请再累积 ${cost - balance} 积分。`,
  rewardUnavailable: (reward) => `${reward}已不在奖励目录中。`,
  rewardUnknown: (id) => `奖励 ${id}`,
  historyTitle: "您的会员记录",
  historyEmpty: "暂无记录。",
  joined: (tier) => `您以${tier}会员身份加入。`,
  detailsUpdated: "您的个人信息已更新；新的信息指纹已记录在案。",
  tierChanged: (from, to) => `您的等级从${from}变为${to}。`,
  consentChanged: (agreed, version, how) =>
    `您的隐私选择已更改：您同意${agreed}（隐私政策第 ${version} 版；${
      how === "own" ? "由您用自己的钱包保存" : how === "relay" ? "通过计划免费保存" : "根据您的入会表格记录"
    }）。`,
  suspendedEvent: "计划暂停了您的会员资格。",
  reinstated: "计划恢复了您的会员资格。",
  revoked: "计划终止了您的会员资格。",
  left: "您退出了本计划。",
  erasedEvent: "您的记录已被删除；计划不再保存您的任何个人数据。",
  redeemedEvent: (reward, cost) => `您用 ${cost} 积分兑换了${reward}。`,
  forfeited: (amount) => `会员资格终止后，${amount} 积分被作废。`,
  signaturesCancelled: "您取消了已签署但尚未发送的免手续费请求。",
  creditSkipped: (amount) => `一笔 ${amount} 积分的奖励未发放：当时您的会员资格无效。`,
  creditRoundedToZero: (amount) => `一笔 ${amount} 基础积分的奖励按您的等级折算后不足 1 积分，因此未发放。`,
  earned: (amount) => `您获得了 ${amount} 积分。`,
  removed: (amount) => `${amount} 积分被扣除。`,
  received: (amount, from) => `您收到了来自 ${from} 的 ${amount} 积分。`,
  sent: (amount, to) => `您向 ${to} 转出了 ${amount} 积分。`,
  otherEvent: (name) => `计划事件：${name}。`,
  checkTitle: "核对我的数据",
  checkIntro:
    "链上只保存您个人信息的指纹，它由您收到的秘密盐值生成。输入您的信息和盐值，即可核对指纹是否一致。您输入的任何内容都不会离开此浏览器。",
  fullName: "全名",
  email: "电子邮件地址",
  phone: "电话号码（可选）",
  phoneHint: "请包含国家代码，例如 +86 138 0013 8000。",
  birthDate: "出生日期（可选）",
  birthPlaceholder: "年-月-日",
  birthHint: "格式为 年-月-日，例如 1990-02-28。",
  salt: "您的盐值",
  saltHint: "64 个字母和数字，见您入会时收到的信函。",
  checkButton: "核对我的数据",
  fieldWords: { full_name: "全名", email: "电子邮件地址", phone: "电话号码", birth_date: "出生日期", salt: "盐值" },
  checkField: (field) => `请检查${field}：格式或内容不正确。`,
  matches: "您的信息与链上记录一致。",
  mismatch: "这些信息与链上记录不一致。请检查每一项的拼写以及您收到的盐值；如果都正确，请联系计划团队更正您的记录。",
  paused: "本计划正在维护，暂时无法进行任何更改；请稍后再试。",
  stalePolicy: "自此页面加载以来隐私政策已更新。请重新加载页面查看当前版本，然后再保存。",
  noConnection: "暂时无法连接到本计划的网络。请检查您的网络连接并重新加载页面。",
  refusedBy: () => "出了点问题：本计划拒绝了此操作。没有任何更改；请再试一次。",
  unexpected: () => "出了点问题。没有任何更改；请再试一次。",
  relay: {
    bad_request: "中继服务无法理解此请求。请重新加载页面后再试。",
    bad_signature: "此签名不属于本计划网络上的这个会员资格。请重新加载页面后再保存。",
    wrong_chain: "此签名针对的是其他网络。请切换钱包的网络后再保存。",
    wrong_contract: "此签名针对的是其他合约。请重新加载页面后再保存。",
    expired: "此签名即将过期，无法保存。请重新保存以签署新的签名。",
    deadline_too_far: "签名的有效期最长为 24 小时。请重新保存。",
    not_member: "此钱包不是已登记的会员，因此本计划无法免费保存其选择。",
    stale_policy: "自此页面加载以来隐私政策已更新。请重新加载页面后再保存。",
    used_nonce: "此签名已被使用或已取消。请重新加载页面后再保存。",
    nothing_to_change: "无需保存：这些选择已经记录在案。",
    in_flight: "此会员资格的另一项更改正在保存中。请稍候，重新加载页面后再试。",
    paused: "本计划正在维护。请稍后再试。",
    refused_by_chain: "本计划的合约会拒绝此更改。请重新加载页面后再保存。",
    rate_limited_ip: "您的网络在短时间内发出的请求过多。请稍候再试。",
    rate_limited_member: "此会员资格在短时间内的请求过多。请稍候再试。",
  },
  redeemRelay: {
    bad_request: "中继服务无法理解此请求。请重新加载页面后再试。",
    bad_signature: "此签名不属于本计划网络上的这个会员资格。请重新加载页面后再兑换。",
    wrong_chain: "此签名针对的是其他网络。请切换钱包的网络后再兑换。",
    wrong_contract: "此签名针对的是其他合约。请重新加载页面后再兑换。",
    expired: "此兑换签名即将过期，无法发送。请重新兑换以签署新的签名。",
    deadline_too_far: "兑换签名的有效期最长为 24 小时。请重新兑换。",
    not_member: "此钱包不是已登记的会员，因此无法兑换奖励。",
    not_active: "您的会员资格目前无效（已暂停、已终止或已转移），暂时无法兑换奖励。",
    used_nonce: "此兑换签名已被使用或已取消。请重新加载页面后再兑换。",
    unknown_reward: "此奖励已不在奖励目录中。未扣除任何积分。请重新加载页面查看可兑换的奖励。",
    cost_changed: "您签署后此奖励的价格发生了变化。未扣除任何积分。请重新加载页面查看当前价格，然后再兑换。",
    not_enough_points: "您的积分不足以兑换此奖励。未扣除任何积分。",
    in_flight: "您的另一项兑换正在发送中。请稍候，重新加载页面后再试。",
    paused: "本计划正在维护。未扣除任何积分；请稍后再试。",
    refused_by_chain: "本计划的合约会拒绝此兑换。未扣除任何积分。请重新加载页面后再试。",
    rate_limited_ip: "您的网络在短时间内发出的请求过多。请稍候再试。",
    rate_limited_member: "此会员资格在短时间内的请求过多。请稍候再试。",
  },
  // ------------------------------------------------------------ prove my membership (issue 19)
  proofTitle: "证明我的会员身份",
  proofIntro:
    "为合作伙伴的优惠生成一份证明。它只说明您在下面选择的内容以及适用的活动：不包含您的钱包、会员编号，也不透露您是哪一位会员。每个活动每位会员只接受一份证明。",
  proofWhatLabel: "要证明的内容",
  proofCampaignLabel: "活动",
  proofCampaignHint: "按合作伙伴提供的写法填写，例如 cinema-2026-12。",
  proofMake: "生成我的证明",
  proofGroup: (tier, name) => (tier === 0 ? "我是有效会员" : `我是有效会员，等级为 ${name} 或更高`),
  proofStepSign: "第 1 步（共 4 步）：在钱包中签名以打开您的私密身份（免费，不会发送任何内容）…",
  proofStepGroup: "第 2 步（共 4 步）：正在读取会员群组…",
  proofStepFiles: "第 3 步（共 4 步）：正在加载证明文件…",
  proofStepProving: "第 4 步（共 4 步）：正在本浏览器中计算证明（需要几秒钟）…",
  proofDone: (seconds) => `您的证明已生成（${seconds} 秒）。可以以文件、文本或二维码的形式交给合作伙伴。`,
  proofDownload: "下载证明",
  proofTextLabel: "证明文本",
  proofCopy: "复制文本",
  proofCopied: "已复制。",
  proofQrAlt: "证明的二维码",
  proofCampaignMissing: "请输入合作伙伴提供的活动名称。",
  proofNotInGroup:
    "您的私密身份尚未出现在已发布的群组中。请注册一次（从您的钱包发送一笔小额交易）；从本计划下一次发布起生效。",
  proofRegisterOwn: "注册我的私密身份（由我支付手续费）",
  proofRegisterFree: "免费注册我的私密身份",
  proofRegistered: "已注册。请在本计划下一次发布后回来生成证明。",
  proofSmallGroup: (size, minimum) => `请注意：该群组只有 ${size} 位会员（少于 ${minimum} 位），证明只能将您隐藏在少数人之中。`,
  proofNotActive: "只有有效会员才能生成证明。",
  proofFailed: (detail) => `无法生成证明（${detail}）。没有发送任何内容，请重试。`,
};

export const catalogues: Readonly<Record<Lang, Catalogue>> = { en, "zh-CN": zh };

let current: Lang = "en";

/** The catalogue of the page's current language. */
export function t(): Catalogue {
  return catalogues[current];
}

export function language(): Lang {
  return current;
}

export function setLanguage(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
}

/** The member's saved choice, else the browser's first language the page speaks. */
export function preferredLanguage(saved: string | null, browser: readonly string[]): Lang {
  if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Lang;
  for (const wanted of browser) {
    const lower = wanted.toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

/** A sentence that can be said again in another language: a catalogue key's text, or a
 * function of the catalogue. */
export type Text = (c: Catalogue) => string;
