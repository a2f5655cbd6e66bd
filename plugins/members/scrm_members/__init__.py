"""The members plugin: customers, custom fields, tags, segments, blacklist, stages, orders, points, home dashboard."""
