// <waiting-room return-url="/…"> holds a shopper's place in a sale's waiting room and lets them in when it is their turn.
// Updates arrive over server-sent events; if those fail, the element polls. A custom element, like order-status.js,
// because Blazor's enhanced navigation does not run scripts inside page content.
customElements.define("waiting-room", class extends HTMLElement {
  connectedCallback() {
    this.stopped = false;
    this.join();
  }

  disconnectedCallback() {
    this.stopped = true;
    this.source?.close();
    clearTimeout(this.timer);
  }

  later(action, seconds) {
    clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => action.call(this), seconds * 1000);
  }

  async join() {
    let response;
    try {
      response = await fetch("/api/waitingroom/join", { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch {
      return this.hold("We cannot reach the shop right now. Trying again…", 5);
    }
    if (response.status === 429 || response.status === 503 || !response.ok) {
      const wait = Number(response.headers.get("Retry-After")) || 5;
      const problem = await response.json().catch(() => null);
      return this.hold(problem?.detail ?? "The waiting room is busy. Trying again…", wait);
    }
    const status = await response.json();
    this.show(status);
    if (status.state === "Waiting") this.follow();
  }

  follow() {
    if (!window.EventSource) return this.poll();
    const source = new EventSource("/api/waitingroom/events");
    this.source = source;
    source.addEventListener("status", event => this.show(JSON.parse(event.data)));
    // The stream ends after the last change (admitted, expired) or breaks; polling carries on from there.
    source.onerror = () => {
      source.close();
      if (this.state === "Waiting") this.later(this.poll, 1);
    };
  }

  async poll() {
    try {
      const response = await fetch("/api/waitingroom/status", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 404) return this.join();
      if (response.ok) this.show(await response.json());
      else if (response.status === 503) this.headline("The waiting room is paused for a moment. Your place is kept.");
    } catch {
      // The next poll tries again.
    }
    if (this.state === "Waiting") this.later(this.poll, 2);
  }

  show(status) {
    this.state = status.state;
    const box = this.querySelector("[data-testid=waiting]");
    box.dataset.state = status.state;
    this.field("waiting-position", status.position ?? "after the draw");
    this.field("waiting-ahead", status.ahead ?? "–");
    this.field("waiting-eta", status.etaSeconds == null ? (status.paused ? "paused" : "–") : formatWait(status.etaSeconds));
    switch (status.state) {
      case "Admitted":
      case "Open":
        this.headline("It's your turn! Taking you to the store…");
        this.source?.close();
        this.enter();
        break;
      case "Expired":
        this.headline("Your turn has passed. Finding you a new place…");
        this.source?.close();
        this.later(this.join, 2);
        break;
      default:
        this.headline(status.position == null
          ? "You're in! Places are drawn at random when the sale starts."
          : status.paused ? "You're in line. The sale is paused for a moment; your place is kept."
          : "You're in line.");
    }
  }

  // An event stream cannot set cookies once it has started: one status call stores the admission cookie first.
  async enter() {
    if (this.entering) return;
    this.entering = true;
    try {
      await fetch("/api/waitingroom/status", { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch {
      // The store page sends the shopper back here if the cookie is missing; the next visit asks again.
    }
    location.replace(this.getAttribute("return-url") || "/");
  }

  hold(message, seconds) {
    this.headline(message);
    this.querySelector("[data-testid=waiting]").dataset.state = "Holding";
    this.later(this.join, seconds);
  }

  headline(text) {
    this.querySelector("[data-testid=waiting-headline]").textContent = text;
  }

  field(name, value) {
    this.querySelector(`[data-testid=${name}]`).textContent = value;
  }
});

function formatWait(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `about ${minutes} minutes` : `about ${Math.round(minutes / 60)} hours`;
}
