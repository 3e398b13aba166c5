-- Keys added after the bulk load (see schema.sql). Run by hand after schema.sql and your inserts.
ALTER TABLE user_relationships ADD PRIMARY KEY (person_a, person_b);
