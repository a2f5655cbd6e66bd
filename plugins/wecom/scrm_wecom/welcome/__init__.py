"""Friend welcome messages: content (1 text + 9 attachments), time segments, the state-prefix router that decides
which welcome a new friend gets, and the job that sends it once per welcome code."""
