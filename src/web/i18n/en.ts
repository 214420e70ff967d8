/**
 * The English catalog: the reference for every other language. Keys are flat and dotted; the first segment says
 * which page ships the string to the browser (`common`, `unavailable`, `create`, `open`, `manage`). Placeholders use
 * `{name}` and are filled by `t()`. Keep sentences short and literal: they are read under stress by people who
 * did not choose this tool.
 */
export const en = {
  "common.brand": "oncelink",
  "common.skipLink": "Skip to main content",
  "common.footer": "oncelink shares secrets through links that open only once.",
  "common.noscript":
    "This page needs JavaScript: your browser encrypts and decrypts the secret itself, so the server never sees it.",
  "common.copied": "Copied to the clipboard.",
  "common.copyFailed": "Could not copy automatically. The text is selected: press Ctrl+C (or Command+C) to copy it.",
  "common.error.network": "Could not reach the server. Check your connection and try again.",
  "common.error.rateLimited": "Too many attempts right now. Wait a moment, then try again.",
  "common.error.generic": "Something went wrong. Please try again.",

  "unavailable.title": "Link unavailable",
  "unavailable.heading": "This link is no longer available",
  "unavailable.body":
    "It may have been opened already, or its time ran out. If you still need what was shared, ask the sender for a new link.",

  "create.title": "Share a secret once",
  "create.heading": "Share a secret once",
  "create.intro":
    "Write or paste something private. You get a link that works one time: once it has been opened, the content is gone for good.",
  "create.secret.label": "Secret",
  "create.secret.hint":
    "It is encrypted in this browser before it is sent. The key travels inside the link, not to our server.",
  "create.ttl.label": "Delete it if nobody opens it within",
  "create.submit": "Create link",
  "create.working": "Encrypting and creating the link…",
  "create.error.empty": "Write or paste the secret first.",
  "create.error.tooLarge": "That secret is too large for this server.",
  "create.error.ttl": "This server does not accept that lifetime. Choose a shorter one.",
  "create.result.heading": "Your one-time link is ready",
  "create.result.link.label": "Link for the recipient",
  "create.result.link.copy": "Copy link",
  "create.result.expires": "If nobody opens it, it is deleted on {time}.",
  "create.result.note.label": "Note to send along",
  "create.result.note.text":
    "This link opens only once. Open it on the device where you want to keep the content; if it says it is unavailable, ask me for a new one.",
  "create.result.note.copy": "Copy note",
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
  "open.fresh.body":
    "It can be opened once, on this device. After you reveal it, the link stops working for everyone, you included.",
  "open.fresh.hint": "Have a safe place ready to keep it, such as a password manager.",
  "open.reveal": "Reveal",
  "open.progress.start": "Preparing to open the secret…",
  "open.progress.pow": "Checking this browser; this can take a few seconds…",
  "open.progress.opening": "Opening the secret…",
  "open.incomplete.heading": "This link looks incomplete",
  "open.incomplete.body":
    "Part of the link is missing, so the secret cannot be decrypted here. Nothing has been opened and the link still works: open the complete link exactly as you received it, or ask the sender to send it again.",
  "open.revealed.heading": "Here is your secret",
  "open.revealed.secret.label": "Secret",
  "open.revealed.copy": "Copy secret",
  "open.revealed.disabled":
    "This link is now disabled. Keep the content somewhere safe: it will not be shown again, not even on this page after you leave it.",
  "open.revealed.file": "You received a file: {name} ({size}).",
  "open.revealed.fileUnnamed": "You received a file ({size}).",
  "open.revealed.save": "Save file",
  "open.error.notOpened": "The link was not used up, so you can try again.",
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
  "manage.consumed": "Opened on",
  "manage.refresh": "Check again",
  "manage.revoke": "Revoke link",
  "manage.confirm.heading": "Revoke this link?",
  "manage.confirm.body": "The content is deleted right away and the link stops working. This cannot be undone.",
  "manage.confirm.yes": "Yes, revoke it",
  "manage.confirm.no": "Keep it",
  "manage.revoked": "The link has been revoked and its content deleted.",
} as const;

/** Every message key; other catalogs are checked against this set. */
export type MessageKey = keyof typeof en;
