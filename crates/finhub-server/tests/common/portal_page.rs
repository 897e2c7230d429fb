//! Reading the portal's pages as a test needs them: a form field's value, an element's text, the
//! recovery codes shown, and the cookie a response sets.

#![allow(dead_code, reason = "each test binary uses its own part")]

/// The portal's cookie.
pub(crate) const COOKIE: &str = "__Host-finhub_portal";

/// The value of the first `name` field of a page's forms.
pub(crate) fn field_of(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().expect("a value").to_owned()
}

/// The text of the element with `id` (up to its first child element).
pub(crate) fn element_text(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let open = page[start..].find('>').expect("the tag ends") + start + 1;
    let close = page[open..].find('<').expect("the text ends") + open;
    page[open..close].to_owned()
}

/// The recovery codes a page shows.
pub(crate) fn recovery_codes(page: &str) -> Vec<String> {
    let list = page
        .split("id=\"recovery-codes\">")
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .expect("the recovery codes");
    list.split("<li>")
        .filter_map(|item| item.split("</li>").next())
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The portal cookie's value a `Set-Cookie` header sets.
pub(crate) fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .strip_prefix(&format!("{COOKIE}="))
        .and_then(|rest| rest.split(';').next())
        .expect("the portal's cookie")
        .to_owned()
}
