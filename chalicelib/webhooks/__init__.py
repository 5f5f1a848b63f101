"""Webhooks for integrators: endpoints per firm, events from the changes that commit, signed deliveries."""
