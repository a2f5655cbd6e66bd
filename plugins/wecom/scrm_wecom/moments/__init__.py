"""Enterprise Moments (客户朋友圈): tasks sent to employees through WeCom's ``add_moment_task``, their creation job,
the per-employee publish results, the customers reached and the comments and likes read back from WeCom, within
WeCom's monthly and daily limits (platform rules)."""
