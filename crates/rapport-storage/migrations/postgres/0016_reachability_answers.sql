-- What the owning team answered when asked whether an asset is reachable from the internet:
-- internet, internal, or unknown ("I don't know"), the name of who said it, and when. It is
-- evidence where no ownership rule decides the asset's exposure; applying the rules again
-- leaves it as it is.
ALTER TABLE assets ADD COLUMN exposure_said TEXT;
ALTER TABLE assets ADD COLUMN exposure_said_by TEXT;
ALTER TABLE assets ADD COLUMN exposure_said_at TIMESTAMPTZ;
