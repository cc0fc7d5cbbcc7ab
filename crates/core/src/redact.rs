//! Passwords out of URLs, for every label, message and result that names a database.

/// `url` with its password replaced by `***` (`postgres://user:***@host/db`); a URL without
/// a password comes back as it is. The user info ends at the last `@` before the path, so a
/// password that itself holds `@` or `/` is hidden whole.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The authority ends at the first '/' after the last '@' (a password may hold '/').
    let at = match rest.rfind('@') {
        Some(at) => at,
        None => return url.to_owned(),
    };
    let (creds, host) = (&rest[..at], &rest[at + 1..]);
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_hidden_whole() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/test"),
            "postgres://app:***@db:5432/test"
        );
        assert_eq!(
            redact_url("mysql://root:p@ss/w@rd@127.0.0.1/test"),
            "mysql://root:***@127.0.0.1/test"
        );
        assert_eq!(
            redact_url("postgres://app@db/test"),
            "postgres://app@db/test"
        );
        assert_eq!(redact_url("sqlite:./app.db"), "sqlite:./app.db");
    }
}
