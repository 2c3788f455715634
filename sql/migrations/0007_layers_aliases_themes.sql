-- Government layers, a national government with its history, the names people use, and
-- themes as a vocabulary.
--
-- * Nodes get a period of validity. An ended node (a ministry that no longer exists) stays,
--   because trajectories and meetings of the past refer to it.
-- * `succeeded_by` relates an ended node to its successors (LNV succeeded_by LVVN).
-- * Aliases: the names people use (Den Haag for 's-Gravenhage), searched like names.
-- * Themes: a vocabulary with a Dutch key, a Dutch label and synonyms. Every stored theme
--   (of nodes, relations, trajectories and signals) becomes a key of it: English slugs in use
--   become their Dutch key, and a theme the vocabulary does not know is added to it as a key
--   of its own, so no theme is lost.
-- A meeting's axis and tri-party flag are recomputed by the daemon at start-up from its
-- participants (VerbinderGraph.MeetingClass), so the rule of this version applies to every
-- meeting, old ones included.

ALTER TABLE nodes ADD COLUMN valid_from date;
ALTER TABLE nodes ADD COLUMN valid_to date;
ALTER TABLE nodes ADD CONSTRAINT nodes_validity CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from);

-- The period of validity the seed kept in attributes becomes the columns.
UPDATE nodes SET valid_from = (attributes->>'valid_from')::date
 WHERE attributes->>'valid_from' ~ '^\d{4}-\d{2}-\d{2}$';
UPDATE nodes SET valid_to = (attributes->>'valid_to')::date
 WHERE attributes->>'valid_to' ~ '^\d{4}-\d{2}-\d{2}$';

ALTER TABLE relations DROP CONSTRAINT relations_relation_check;
ALTER TABLE relations ADD CONSTRAINT relations_relation_check
    CHECK (relation IN ('member_of','part_of','partner_of','works_with','advises','funds','represents','succeeded_by'));

CREATE TABLE aliases (
    node_key     text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE ON DELETE CASCADE,
    alias        text NOT NULL CHECK (alias <> ''),
    -- the alias folded like nodes.search_name (VerbinderGraph.Search.fold), computed by the daemon
    search_alias text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_key, search_alias)
);
CREATE INDEX aliases_search ON aliases (search_alias);

CREATE TABLE themes (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    label       text NOT NULL CHECK (label <> ''),
    -- other words for the theme, as slugs; a synonym belongs to one theme and is no key
    synonyms    text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The vocabulary. One theme per line, in this exact form: scripts/make-seed reads it.
INSERT INTO themes (key, label, synonyms) VALUES
    ('wonen', 'Wonen', '{housing,volkshuisvesting,woningbouw,huisvesting,woningmarkt}'),
    ('ruimte', 'Ruimtelijke ordening', '{spatial-planning,ruimtelijke-ordening,omgevingswet,physical-living-environment,leefomgeving}'),
    ('zorg', 'Zorg en gezondheid', '{healthcare,gezondheid,gezondheidszorg,health,public-health,volksgezondheid,care}'),
    ('welzijn', 'Welzijn en sociaal domein', '{welfare,wellbeing,sociaal-domein,social-policy,society}'),
    ('sport', 'Sport', '{sports,bewegen}'),
    ('jeugd', 'Jeugd', '{youth,youth-care,jeugdzorg}'),
    ('onderwijs', 'Onderwijs', '{education,school,scholen,distance-education}'),
    ('wetenschap', 'Wetenschap en onderzoek', '{science,research,onderzoek}'),
    ('arbeidsmarkt', 'Arbeidsmarkt en werk', '{werk,labour,labour-market,employment,werkgelegenheid}'),
    ('sociale-zekerheid', 'Sociale zekerheid en inkomen', '{social-security,income,inkomen,bijstand}'),
    ('armoede', 'Armoede en schulden', '{poverty,schulden,schuldhulp}'),
    ('inburgering', 'Inburgering en integratie', '{integration,integratie}'),
    ('economie', 'Economie', '{economy,enterprise,ondernemen,bedrijven,foreign-trade}'),
    ('innovatie', 'Innovatie en technologie', '{innovation,technology,technologie,engineering}'),
    ('bereikbaarheid', 'Bereikbaarheid en mobiliteit', '{mobiliteit,ov,openbaar-vervoer,transport,mobility,infrastructure,infrastructuur,verkeer}'),
    ('energie', 'Energie en klimaat', '{energietransitie,klimaat,energy,climate,green-growth,groene-groei}'),
    ('landbouw', 'Landbouw, visserij en voedsel', '{agriculture,stikstof,nitrogen,food,voedsel,food-security,voedselzekerheid,fisheries,visserij}'),
    ('landelijk-gebied', 'Landelijk gebied', '{rural-areas,platteland,rural}'),
    ('natuur', 'Natuur', '{nature,biodiversiteit}'),
    ('water', 'Water', '{water-management,waterbeheer,waterveiligheid}'),
    ('milieu', 'Milieu', '{environment}'),
    ('leefbaarheid', 'Leefbaarheid en voorzieningen', '{voorzieningen,livability,kleine-kernen}'),
    ('veiligheid', 'Veiligheid', '{security,safety,police,politie,ondermijning,crisisbeheersing}'),
    ('justitie', 'Justitie', '{justice,rechtspraak}'),
    ('defensie', 'Defensie', '{defence,defense}'),
    ('buitenland', 'Buitenlandse zaken', '{foreign-policy,development-cooperation,ontwikkelingssamenwerking,internationaal}'),
    ('cultuur', 'Cultuur en media', '{culture,media,erfgoed}'),
    ('digitalisering', 'Digitalisering', '{digital-government,digitale-overheid,ict,digital}'),
    ('bestuur', 'Openbaar bestuur', '{governance,public-administration,openbaar-bestuur,municipalities-and-provinces,democracy,democratie,intergovernmental-relations,interbestuurlijk,government-coordination}'),
    ('koninkrijk', 'Koninkrijksrelaties', '{kingdom-relations,caribisch-nederland}'),
    ('communicatie', 'Overheidscommunicatie', '{communication}'),
    ('financien', 'Financiën', '{gemeentefonds,public-finance,taxation,belastingen,overheidsfinancien,finance}'),
    ('regionaal-beleid', 'Regionaal beleid', '{regio-deals,regio-deal,regiodeals,elke-regio-telt,regional-policy,regional-development,regionale-ontwikkeling,regional-data,city-and-region}'),
    ('stedelijk-beleid', 'Stedelijk beleid', '{urban-policy,steden}'),
    ('brede-welvaart', 'Brede welvaart', '{broad-prosperity,welvaart,well-being}'),
    ('migratie', 'Migratie en asiel', '{migration,asylum,asiel,asylum-and-migration,vluchtelingen,opvang}');

-- Every theme in use that the vocabulary does not know becomes a key of its own (label = key).
INSERT INTO themes (key, label)
SELECT DISTINCT t, t FROM (
    SELECT unnest(themes) AS t FROM nodes
    UNION SELECT unnest(themes) FROM relations
    UNION SELECT unnest(themes) FROM trajectories
    UNION SELECT theme FROM signals) used
WHERE t ~ '^[a-z0-9]+(-[a-z0-9]+)*$'
  AND NOT EXISTS (SELECT 1 FROM themes v WHERE v.key = t OR t = ANY (v.synonyms));

-- The key of a theme word (a key, or a synonym of one); the word itself when unknown.
CREATE FUNCTION pg_temp.theme_key(word text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT key FROM themes WHERE key = word OR word = ANY (synonyms) LIMIT 1), word)
$$;

-- A list of theme words as keys, in their order, without duplicates.
CREATE FUNCTION pg_temp.theme_keys(words text[]) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(k ORDER BY first), '{}')
    FROM (SELECT pg_temp.theme_key(w) AS k, min(i) AS first
          FROM unnest(words) WITH ORDINALITY AS u(w, i) GROUP BY 1) keyed
$$;

UPDATE nodes SET themes = pg_temp.theme_keys(themes) WHERE themes IS DISTINCT FROM pg_temp.theme_keys(themes);
UPDATE relations SET themes = pg_temp.theme_keys(themes) WHERE themes IS DISTINCT FROM pg_temp.theme_keys(themes);
UPDATE trajectories SET themes = pg_temp.theme_keys(themes) WHERE themes IS DISTINCT FROM pg_temp.theme_keys(themes);
UPDATE signals SET theme = pg_temp.theme_key(theme) WHERE theme IS DISTINCT FROM pg_temp.theme_key(theme);
