-- POST with an empty body (Content-Length: 0). wrk keeps no cookies and sends no ticket, so every request is a new
-- waiting-room join at the back of the queue.
wrk.method = "POST"
wrk.body = ""
