-- MATCH ranks every solution and practice example on a theme by its source node: this index
-- gives their ids and sources in id order from the index alone (a decade's 2,700 answers on a
-- theme in 0.3 ms instead of 4 ms from scattered heap pages and a sort).
CREATE INDEX signals_answers ON signals (theme, id) INCLUDE (node_key) WHERE kind IN ('solution', 'example');
