"""Customer SOP and group SOP: rules with a trigger and task nodes, tasks on a durable schedule, employee to-dos
delivered as app-message text cards, the employee's phone task page and completion statistics (see the README)."""
