// <waiting-room return-url="/…"> holds a shopper's place in a sale's waiting room and lets them in when it is their turn.
// After the join it follows the sale's queue, one answer shared by the whole crowd that the edge serves from its cache,
// and works out place, people ahead, wait and progress from its own ticket. It asks the services only near the front
// (a heartbeat, so a page that was closed is skipped) and once at its turn, for the admission.
// A custom element, like order-status.js, because Blazor's enhanced navigation does not run scripts inside page content.
import { localUrlOrHome } from "./local-url.js";

const PollSeconds = 2;

customElements.define("waiting-room", class extends HTMLElement {
  connectedCallback() {
    this.stopped = false;
    this.join();
  }

  disconnectedCallback() {
    this.stopped = true;
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
    if (!response.ok) {
      const wait = Number(response.headers.get("Retry-After")) || 5;
      const problem = await response.json().catch(() => null);
      return this.hold(problem?.detail ?? "The waiting room is busy. Trying again…", wait);
    }
    const status = await response.json();
    if (status.position != null && status.servingAtJoin != null) {
      sessionStorage.setItem(this.startKey(status), String(status.servingAtJoin));
    }
    this.askedAt = Date.now();
    this.show(status);
  }

  // The queue through the edge: what the whole crowd polls, so it costs the services nothing.
  async watch() {
    try {
      const response = await fetch(this.status.queueUrl, { credentials: "omit", headers: { Accept: "application/json" } });
      if (response.status === 404) return this.join(); // The sale ended or changed: the join says what is on now.
      if (response.ok) {
        const queue = await response.json();
        if (await this.follow(queue)) return;
      } else if (response.status === 503) {
        this.headline("The waiting room is paused for a moment. Your place is kept.");
      }
    } catch {
      // The next poll tries again.
    }
    this.later(this.watch, PollSeconds);
  }

  // True when the status call took over (admitted, expired, rejoined).
  async follow(queue) {
    const position = this.status.position;
    if (queue.open || (position == null && queue.drawn) || (position != null && queue.serving >= position)) {
      return this.ask();
    }
    if (position != null && position - queue.serving - 1 <= queue.heartbeatWithin && Date.now() - this.askedAt >= queue.heartbeatSeconds * 1000) {
      if (await this.ask()) return true;
    }
    this.showQueue(queue);
    return false;
  }

  // The status call: near the front a heartbeat, at the turn the admission (it sets the admission cookie).
  async ask() {
    this.askedAt = Date.now();
    try {
      const response = await fetch("/api/waitingroom/status", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 404) {
        this.join();
        return true;
      }
      if (!response.ok) return false;
      const status = await response.json();
      this.show(status);
      return status.state !== "Waiting";
    } catch {
      return false;
    }
  }

  show(status) {
    this.status = status;
    this.querySelector("[data-testid=waiting]").dataset.state = status.state;
    this.field("waiting-position", status.position ?? "after the draw");
    this.field("waiting-ahead", status.ahead ?? "–");
    this.field("waiting-eta", status.etaSeconds == null ? (status.paused ? "paused" : "–") : formatWait(status.etaSeconds));
    switch (status.state) {
      case "Admitted":
      case "Open":
        this.headline("It's your turn! Taking you to the store…");
        this.progress(1);
        // The page already sends only a local return URL; checked again here, where the navigation happens.
        location.replace(localUrlOrHome(this.getAttribute("return-url")));
        break;
      case "Expired":
        this.headline("Your turn has passed. Finding you a new place…");
        this.later(this.join, 2);
        break;
      default:
        this.headline(status.position == null
          ? "You're in! Places are drawn at random when the sale starts."
          : status.paused ? "You're in line. The sale is paused for a moment; your place is kept."
          : "You're in line.");
        this.later(this.watch, PollSeconds);
    }
  }

  showQueue(queue) {
    const position = this.status.position;
    if (position == null) return;
    const ahead = Math.max(0, position - queue.serving - 1);
    const untilStart = Math.max(0, (Date.parse(queue.startsAt) - Date.parse(queue.asOf)) / 1000);
    const eta = queue.paused || queue.admissionsPerMinute <= 0 ? null : Math.ceil(ahead * 60 / queue.admissionsPerMinute + untilStart);
    this.field("waiting-position", position);
    this.field("waiting-ahead", ahead);
    this.field("waiting-eta", eta == null ? (queue.paused ? "paused" : "–") : formatWait(eta));
    this.headline(queue.paused ? "You're in line. The sale is paused for a moment; your place is kept." : "You're in line.");
    const start = Number(sessionStorage.getItem(this.startKey(this.status)) ?? queue.serving);
    this.progress(position - start <= 0 ? 1 : (queue.serving - start) / (position - start));
  }

  progress(share) {
    const bar = this.querySelector("[data-testid=waiting-progress]");
    const percent = Math.round(Math.min(1, Math.max(0, share)) * 100);
    bar.value = percent;
    bar.textContent = `${percent}%`;
    this.field("waiting-progress-text", `${percent}% of the way`);
  }

  startKey(status) {
    return `waiting-room:${status.saleId}:${status.position}`;
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
