//! SQL text shared by both backends (the dialects agree on `$n` placeholders and `RETURNING`).

pub const COUNT_MIGRATIONS: &str = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE";

pub const INSERT_INSTITUTION: &str = "INSERT INTO institutions \
       (code, name, region_code, address, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $5) \
     RETURNING id, code, name, region_code, address, created_at, updated_at";

pub const INSTITUTION_BY_CODE: &str = "SELECT id, code, name, region_code, address, created_at, updated_at \
     FROM institutions WHERE code = $1";

pub const UPDATE_INSTITUTION: &str = "UPDATE institutions SET \
       name = COALESCE($2, name), \
       region_code = COALESCE($3, region_code), \
       address = COALESCE($4, address), \
       updated_at = $5 \
     WHERE code = $1 \
     RETURNING id, code, name, region_code, address, created_at, updated_at";

pub const LIST_INSTITUTIONS: &str = "SELECT id, code, name, region_code, address, created_at, updated_at \
     FROM institutions ORDER BY code";
