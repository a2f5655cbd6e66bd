"""素材中心 (material centre): materials and scripts (话术) in groups with enterprise / team scopes, tracked links
through the platform's short links (views with durations, the sender's notification, the customer's timeline and
tags), the employee chat sidebar (WeCom OAuth, JS-SDK signatures) and the public API other features call
(:mod:`.attachments`)."""
