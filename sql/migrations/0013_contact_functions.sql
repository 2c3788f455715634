-- People in their functions (issue 18, point 3): a contact has a function from a closed
-- vocabulary and a portfolio of themes, so MEETING PLAN can say whom to invite (the
-- wethouder wonen, not the burgemeester) and CONTACTS can find people across the graph.
--
-- The free-text role stays as it was. A role that is itself a word of the vocabulary
-- (`Wethouder`, `directeur generaal`) gives the contact that function; any other role gives
-- `other`, and the role keeps what the person is.
ALTER TABLE contacts
    ADD COLUMN function text NOT NULL DEFAULT 'other'
        CHECK (function IN ('burgemeester', 'wethouder', 'gemeentesecretaris', 'gedeputeerde',
                            'commissaris-van-de-koning', 'minister', 'staatssecretaris',
                            'directeur-generaal', 'directeur', 'beleidsmedewerker',
                            'accountmanager-regio', 'secretaris-vng-afdeling', 'other')),
    -- theme keys (themes.key); a theme renamed or removed later is shown as stored
    ADD COLUMN themes text[] NOT NULL DEFAULT '{}';

UPDATE contacts SET function = f.word
FROM (VALUES ('burgemeester'), ('wethouder'), ('gemeentesecretaris'), ('gedeputeerde'),
             ('commissaris-van-de-koning'), ('minister'), ('staatssecretaris'),
             ('directeur-generaal'), ('directeur'), ('beleidsmedewerker'),
             ('accountmanager-regio'), ('secretaris-vng-afdeling')) AS f(word)
WHERE role IS NOT NULL
  AND f.word = trim(both '-' FROM regexp_replace(lower(btrim(role)), '[^a-z0-9]+', '-', 'g'));

CREATE INDEX contacts_function ON contacts (function);
CREATE INDEX contacts_themes ON contacts USING gin (themes);
