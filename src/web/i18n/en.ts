/**
 * The English catalog: the reference for every other language. Keys are flat and dotted; the first segment says
 * which page ships the string to the browser (`common`, `unavailable`, `create`, `open`, `manage`). Placeholders use
 * `{name}` and are filled by `t()`. Keep sentences short and literal: they are read under stress by people who
 * did not choose this tool. Every other catalog must have every key here, with the same placeholders (a unit test
 * checks), and no string may contain markup: they are escaped or set as text everywhere.
 */
export const en = {
  "common.brand": "oncelink",
  "common.skipLink": "Skip to main content",
  "common.footer": "oncelink shares secrets through links that open only once.",
  "common.noscript":
    "This page needs JavaScript: your browser encrypts and decrypts the secret itself, so the server never sees it.",
  /** The language's own name, shown in the language switcher of every page. */
  "common.language.name": "English",
  "common.language.label": "Language",
  "common.copied": "Copied to the clipboard.",
  "common.copyFailed": "Could not copy automatically. The text is selected: press Ctrl+C (or Command+C) to copy it.",
  "common.error.network": "Could not reach the server. Check your connection and try again.",
  "common.error.rateLimited": "Too many attempts right now. Wait a moment, then try again.",
  "common.error.generic": "Something went wrong. Please try again.",

  "unavailable.title": "Link unavailable",
  "unavailable.heading": "This link is no longer available",
  "unavailable.body":
    "Links like this one open only once and expire after a while, so it may have been opened already or its time ran out. If you still need what was shared, ask the sender for a new link.",

  "create.title": "Share a secret once",
  "create.heading": "Share a secret once",
  "create.intro":
    "Write or paste something private. You get a link that works one time: once it has been opened, the content is gone for good.",
  "create.replacement":
    "You are making a replacement link. Enter the secret again: nothing from the old link is reused.",
  "create.secret.label": "Secret",
  "create.secret.hint":
    "It is encrypted in this browser before it is sent. The key travels inside the link, not to our server.",
  "create.ttl.label": "Delete it if nobody opens it within",
  "create.ttl.custom": "Custom…",
  "create.ttl.customLegend": "Custom lifetime",
  "create.ttl.range": "Between {min} and {max}.",
  "create.ttl.amount": "Number",
  "create.ttl.unit": "Unit",
  "create.ttl.unit.minutes": "minutes",
  "create.ttl.unit.hours": "hours",
  "create.ttl.unit.days": "days",
  "create.passphrase.label": "Passphrase (optional)",
  "create.passphrase.hint": "If you set one, the recipient must type it to open the link. Tell it to them another way, for example in a phone call, not in the same message. After 5 wrong tries the secret is deleted.",
  "create.submit": "Create link",
  "create.working": "Encrypting and creating the link…",
  "create.error.empty": "Write or paste the secret first.",
  "create.error.tooLarge": "That secret is too large for this server.",
  "create.error.ttl": "This server does not accept that lifetime. Choose a shorter one.",
  "create.error.ttlRange": "Choose a lifetime between {min} and {max}.",
  "create.result.heading": "Your one-time link is ready",
  "create.result.link.label": "Link for the recipient",
  "create.result.link.copy": "Copy link",
  "create.result.expires": "If nobody opens it, it is deleted on {time}.",
  "create.result.qr.show": "Show QR code",
  "create.result.qr.hide": "Hide QR code",
  "create.result.qr.label": "QR code of the link for the recipient",
  "create.result.qr.caption":
    "Scan it with a phone camera to open the link on that phone. Anyone who can see this code can open the link, so show it only to the recipient.",
  "create.result.note.label": "Message to send with the link",
  "create.result.note.text":
    "I am sending you a one-time link: {link}\nIt opens only once. Open it on the device where you want to keep the content, and please do not forward it. If it says the link is no longer available, ask me for a new one.",
  "create.result.note.copy": "Copy message",
  "create.result.manage.heading": "For you only: the manage link",
  "create.result.manage.body":
    "Keep this one to yourself. It shows whether the secret has been opened and lets you revoke it; it cannot open the secret.",
  "create.result.manage.label": "Manage link (for you only)",
  "create.result.manage.copy": "Copy manage link",
  "create.result.leave": "These links are not shown again once you leave this page.",
  "create.again": "Create another",

  "open.title": "A secret for you",
  "open.checking": "Checking the link…",
  "open.fresh.heading": "Someone shared a secret with you",
  "open.fresh.body": "It opens only once, on this device, and then this link stops working for everyone, you included.",
  "open.fresh.hint":
    "Take your time: nothing is opened until you choose Reveal. Have a safe place ready to keep it, such as a password manager.",
  "open.passphrase.label": "Passphrase",
  "open.passphrase.hint": "The sender set a passphrase for this secret. Type it, then choose Reveal. A wrong passphrase does not open or use up the link.",
  "open.passphrase.empty": "Type the passphrase first.",
  "open.passphrase.wrong": "That passphrase is not right. The link is still unopened. Tries left before the secret is deleted: {count}.",
  "open.reveal": "Reveal",
  "open.progress.start": "Preparing to open the secret…",
  "open.progress.pow": "Checking this browser; this can take a few seconds…",
  "open.progress.opening": "Opening the secret…",
  "open.incomplete.heading": "This link looks incomplete",
  "open.incomplete.body":
    "Part of the link is missing, so the secret cannot be decrypted here. Nothing has been opened and the link still works: open the complete link exactly as you received it, or ask the sender to send it again.",
  "open.revealed.heading": "Here is your secret",
  "open.revealed.disabled": "This link is now disabled: nobody can open it again.",
  "open.revealed.secret.label": "Secret",
  "open.revealed.copy": "Copy secret",
  "open.revealed.copied": "Copied. The clipboard will be cleared in {duration}.",
  "open.revealed.clipboardHint":
    "A copy stays on the clipboard for {duration}; then this page clears it, as long as the page is still open.",
  "open.revealed.clipboardCleared": "The clipboard has been cleared.",
  "open.revealed.download": "Download as .txt",
  "open.revealed.fileName": "secret.txt",
  "open.revealed.reminder":
    "Store it somewhere safe now, such as a password manager. It cannot be shown again, not even on this page after you leave it.",
  "open.revealed.hide": "I have saved it, hide it",
  "open.revealed.file": "You received a file: {name} ({size}).",
  "open.revealed.fileUnnamed": "You received a file ({size}).",
  "open.revealed.save": "Save file",
  "open.done.heading": "This link is now disabled",
  "open.done.body":
    "The secret has been removed from this page as well. If you need it again, ask the sender for a new one-time link.",
  "open.error.notOpened": "The link was not used up, so you can try again.",
  "open.confirm.heading": "One more step",
  "open.confirm.body":
    "This browser looks automated, or the click came very quickly, so please confirm: reveal the secret now? It can be opened only once.",
  "open.confirm.yes": "Yes, reveal it now",
  "open.confirm.no": "Not now",
  "open.confirm.declined": "Nothing was opened. Choose Reveal when you are ready.",
  "open.problem.retry": "Try again",
  "open.problem.checkHeading": "The link could not be checked",
  "open.problem.unsupportedHeading": "This link cannot be opened here",
  "open.problem.unsupportedBody":
    "It asks for an extra step that this page does not support yet. Nothing has been opened; the sender can make a new link without that step.",
  "open.problem.decryptHeading": "The secret could not be decrypted",
  "open.problem.decryptBody":
    "The link may have been altered on its way to you, and it has now been used. Ask the sender for a new link.",

  "manage.title": "Manage your link",
  "manage.heading": "Your one-time link",
  "manage.checking": "Loading the link's status…",
  "manage.intro": "Only you should have this page's address. It shows the link's status; it cannot open the secret.",
  "manage.state.label": "Status",
  "manage.state.fresh": "Not opened yet",
  "manage.state.consumed": "Opened",
  "manage.state.expired": "Expired",
  "manage.state.revoked": "Revoked",
  "manage.created": "Created",
  "manage.expires": "Expires",
  "manage.expiresIn": "{time} ({relative})",
  "manage.consumed": "Opened on",
  "manage.refresh": "Check again",
  "manage.revoke": "Revoke link",
  "manage.confirm.heading": "Revoke this link?",
  "manage.confirm.body": "The content is deleted right away and the link stops working. This cannot be undone.",
  "manage.confirm.yes": "Yes, revoke it",
  "manage.confirm.no": "Keep it",
  "manage.revoked": "The link has been revoked and its content deleted.",
  "manage.replace.heading": "Need a new link?",
  "manage.replace.body":
    "If the recipient could not open it, or a preview tool used it up, make a replacement: you enter the secret again and get a new link with the same lifetime. Nothing is reissued automatically.",
  "manage.replace.action": "Make a replacement link",
  "manage.visits.label": "Automatic visits",
  "manage.visits.none": "None so far",
  "manage.visits.line": "Looked at by {who} {times}",
  "manage.visits.who.chatPreview": "a chat preview",
  "manage.visits.who.mailScanner": "a mail scanner",
  "manage.visits.who.officeApp": "an office app",
  "manage.visits.who.prefetch": "a browser prefetch",
  "manage.visits.who.probe": "a link checker",
  "manage.visits.who.automated": "an automated client",
  "manage.visits.times.one": "once",
  "manage.visits.times.two": "twice",
  "manage.visits.times.many": "{count} times",
  "manage.visits.stillUnopened": "still unopened",
  "manage.visits.hint":
    "Chat apps, mail scanners and browsers look at links before anyone clicks. They cannot open it; only a person who chooses Reveal can.",

  "preview.title": "A private one-time link",
  "preview.description": "A private one-time link. Open it in a browser.",
} as const;

/** Every message key; other catalogs are checked against this set. */
export type MessageKey = keyof typeof en;
