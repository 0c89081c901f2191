// <order-status order-id="…" status="Accepted"> keeps its text in step with the order until it is final.
// A custom element works with Blazor's enhanced navigation, which does not run scripts inside page content.
const texts = {
  Confirmed: "Confirmed: your items are reserved and on their way.",
  Rejected: "We could not take this order.",
  sold_out: "Sold out: we could not reserve every item, and nothing was charged.",
};

customElements.define("order-status", class extends HTMLElement {
  connectedCallback() {
    this.stopped = false;
    this.poll(500);
  }

  disconnectedCallback() {
    this.stopped = true;
  }

  async poll(delay) {
    while (!this.stopped && !["Confirmed", "Rejected"].includes(this.getAttribute("status"))) {
      await new Promise(resolve => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 5000);
      try {
        const response = await fetch(`/api/orders/${this.getAttribute("order-id")}`, { headers: { Accept: "application/json" } });
        if (response.ok) {
          this.show(await response.json());
        }
      } catch {
        // The edge or the API had a moment; the next poll tries again.
      }
    }
  }

  show(order) {
    this.setAttribute("status", order.status);
    const line = this.querySelector("[data-testid=order-status]");
    line.dataset.status = order.status;
    if (texts[order.reason] || texts[order.status]) {
      line.textContent = texts[order.reason] ?? texts[order.status];
    }
  }
});
