-- Where a pointer leads in a store's bucket, as src/objects/pointers.ts `locate` reads it: the
-- key for `s3://bucket/key` (oss://, cos://, obs://, any case) or a bare key (leading slashes
-- dropped); NULL for no pointer, another bucket, another scheme or no key. lethe asks it, before
-- a file is deleted, whether a row it is not destroying still points to the same file, however
-- spelled; an index on `lethe.object_key(column, 'bucket')` makes that question cheap.
CREATE OR REPLACE FUNCTION lethe.object_key(pointer text, bucket text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL OR v = '' THEN NULL
    WHEN m IS NOT NULL THEN CASE WHEN lower(m[1]) IN ('s3', 'oss', 'cos', 'obs') AND m[2] = bucket AND m[3] <> '' THEN m[3] END
    WHEN v ~* '^[a-z0-9+.-]+://' THEN NULL
    ELSE regexp_replace(pointer, '^/+', '')
  END
  FROM (SELECT v, regexp_match(v, '^([a-z0-9]+)://([^/]*)/(.*)$', 'i') AS m
    -- JavaScript's String.prototype.trim(): its whitespace and line terminators.
    FROM (SELECT btrim(pointer, chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(160) || chr(5760)
      || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200)
      || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(12288) || chr(65279)) AS v) trimmed) matched
$$;
