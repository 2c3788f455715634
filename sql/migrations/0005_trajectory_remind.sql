-- Reminder offsets per trajectory: milestones added without remind= take these (else 14d,3d,0d).
ALTER TABLE trajectories ADD COLUMN remind text CHECK (remind IS NULL OR remind ~ '^[0-9]+d(,[0-9]+d)*$');
