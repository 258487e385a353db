"""The process around the app: HTTP routes and the websocket gate, start-up, shutdown,
health, logs, migrations, the mail sender, and what an outage mid-event looks like."""
