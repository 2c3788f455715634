-- What kind of region a region node is: a COROP area, a safety region, a cooperation the
-- region chose itself, a Regio Deal's area, a labour-market region, or other. A kansenagenda
-- covers the members of its region unless that region is a safety region (a sector
-- arrangement, never the region of an opportunity agenda), so the daemon must know which is
-- which without reading the free-form attributes.
--
-- Regions from before this migration get the type their seed attributes name (`region_kind`:
-- corop, veiligheidsregio; the report's example regions are cooperations of their own), every
-- other region `other`; other kinds of node have none.
ALTER TABLE nodes ADD COLUMN region_type text
    CHECK (region_type IN ('corop', 'veiligheidsregio', 'functional', 'regiodeal', 'arbeidsmarkt', 'other'));

UPDATE nodes SET region_type = CASE attributes->>'region_kind'
        WHEN 'corop' THEN 'corop'
        WHEN 'veiligheidsregio' THEN 'veiligheidsregio'
        WHEN 'example' THEN 'functional'
        ELSE 'other' END
WHERE kind = 'region';

ALTER TABLE nodes ADD CONSTRAINT nodes_region_type CHECK ((kind = 'region') = (region_type IS NOT NULL));
