// The approver console's HTML and CSS, served with a strict Content-Security-Policy (default-src
// 'self': no inline script or style, no other origin). The behaviour is page.ts, compiled by tsc and
// served as /console/console.js; every value from the appliance is put in the page as text, never HTML.
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Approver console</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body>
<header>
  <h1>Approver console</h1>
  <p id="who">Not signed in.</p>
  <button id="sign-in" type="button">Sign in with a passkey</button>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main>
  <section id="pending-section" hidden>
    <h2>Pending requests</h2>
    <p class="note">What the appliance decoded and recorded when it held each request. Approving signs this request's intent digest with your passkey.</p>
    <ol id="requests"></ol>
    <p id="empty" hidden>No request waits for approval.</p>
  </section>
  <section id="enrol">
    <h2>Register a passkey</h2>
    <p class="note">Makes a passkey on this device and shows the approver entry for an admin to put in a policy change. It changes nothing by itself.</p>
    <label>Approver id <input id="approver-id" autocomplete="username" pattern="[A-Za-z0-9._@:-]{1,128}" required></label>
    <button id="register" type="button">Register a passkey</button>
    <pre id="enrolment" hidden></pre>
  </section>
  <p id="status" role="status"></p>
</main>
</body>
</html>
`;

export const CONSOLE_CSS = `body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; border-bottom: 1px solid #ccc; }
h1 { font-size: 1.4rem; margin-right: auto; }
.note { color: #555; }
ol#requests { padding: 0; list-style: none; }
li.request { border: 1px solid #bbb; border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, monospace; }
pre { background: #f4f4f4; padding: .75rem; overflow-x: auto; }
button { font: inherit; padding: .35rem .8rem; }
#status { min-height: 1.5em; }
.error { color: #a00; }
`;
