"""Customer assignment (待分配用户): the unassigned pool (claim, assign), resigned inheritance and on-the-job
transfer through WeCom's transfer APIs, and the assignment records (lineage branch ``wecom_assignment``)."""
