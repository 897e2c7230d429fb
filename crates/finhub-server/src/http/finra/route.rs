//! The FINRA Query API paths the hub proxies, parsed into typed parts. Every variable part is
//! validated (group and dataset names: 1–64 ASCII letters and digits; row and async request
//! ids: 1–64 letters, digits and `-`) and the upstream path is built from those parts only,
//! never passed through: whatever else a path holds (`\`, escapes, dot segments, empty
//! segments, `;` parameters, non-ASCII) makes it no route at all. The route is also what a log
//! line says about a proxied path, instead of the path.

use axum::http::Method;
use finra_client::ApiPath;

use super::super::error::ApiError;

/// Longest group, dataset name or id.
const MAX_PART_CHARS: usize = 64;

/// A group or dataset name: 1–64 ASCII letters and digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name<'a>(&'a str);

impl<'a> Name<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        is_part(text, |b| b.is_ascii_alphanumeric()).then_some(Self(text))
    }

    pub(crate) fn as_str(self) -> &'a str {
        self.0
    }
}

/// A row id or an async request id: 1–64 ASCII letters, digits and `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Id<'a>(&'a str);

impl<'a> Id<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        is_part(text, |b| b.is_ascii_alphanumeric() || b == b'-').then_some(Self(text))
    }
}

fn is_part(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    (1..=MAX_PART_CHARS).contains(&text.len()) && text.bytes().all(allowed)
}

/// A dataset: its group and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dataset<'a> {
    pub(crate) group: Name<'a>,
    pub(crate) name: Name<'a>,
}

/// One of FINRA's Query API paths, as the hub proxies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinraRoute<'a> {
    /// `GET /datasets`.
    Datasets,
    /// `GET|POST /data/group/{group}/name/{name}`.
    Data(Dataset<'a>),
    /// `GET /data/group/{group}/name/{name}/id/{id}`.
    Row(Dataset<'a>, Id<'a>),
    /// `GET /metadata/group/{group}/name/{name}`.
    Metadata(Dataset<'a>),
    /// `GET /partitions/group/{group}/name/{name}`.
    Partitions(Dataset<'a>),
    /// `GET /async-requests/group/{group}/name/{name}/{id}`: an async request's status.
    AsyncStatus(Dataset<'a>, Id<'a>),
}

impl<'a> FinraRoute<'a> {
    /// The route of a path under `/v1/finra` (`rest` starts with `/`), or `None` when the path
    /// is not one of FINRA's Query API paths in its one plain form.
    pub(crate) fn parse(rest: &'a str) -> Option<Self> {
        // The longest route has seven segments; an eighth means no route.
        let mut segments = [""; 8];
        let mut count = 0;
        for segment in rest.strip_prefix('/')?.split('/') {
            *segments.get_mut(count)? = segment;
            count += 1;
        }
        let dataset = |group, name| {
            Some(Dataset {
                group: Name::parse(group)?,
                name: Name::parse(name)?,
            })
        };
        Some(match segments[..count] {
            ["datasets"] => Self::Datasets,
            ["data", "group", group, "name", name] => Self::Data(dataset(group, name)?),
            ["data", "group", group, "name", name, "id", id] => {
                Self::Row(dataset(group, name)?, Id::parse(id)?)
            }
            ["metadata", "group", group, "name", name] => Self::Metadata(dataset(group, name)?),
            ["partitions", "group", group, "name", name] => Self::Partitions(dataset(group, name)?),
            ["async-requests", "group", group, "name", name, id] => {
                Self::AsyncStatus(dataset(group, name)?, Id::parse(id)?)
            }
            _ => return None,
        })
    }

    /// The route of a request: `NotFound` for no route, `MethodNotAllowed` for a route that
    /// does not take the method.
    pub(crate) fn for_request(method: &Method, rest: &'a str) -> Result<Self, ApiError> {
        let route = Self::parse(rest).ok_or(ApiError::NotFound)?;
        let template = route.template();
        if super::super::routes::serves(method, template) {
            Ok(route)
        } else {
            Err(ApiError::MethodNotAllowed {
                allow: super::super::routes::allowed_methods(template),
            })
        }
    }

    /// The dataset the route is about, if any (its group is checked against the scope).
    pub(crate) fn dataset(self) -> Option<Dataset<'a>> {
        match self {
            Self::Datasets => None,
            Self::Data(dataset)
            | Self::Row(dataset, _)
            | Self::Metadata(dataset)
            | Self::Partitions(dataset)
            | Self::AsyncStatus(dataset, _) => Some(dataset),
        }
    }

    /// Whether the route is an async status (its body's links are rewritten).
    pub(crate) fn is_async_status(self) -> bool {
        matches!(self, Self::AsyncStatus(..))
    }

    /// The route's template, for logs.
    pub(crate) fn template(self) -> &'static str {
        match self {
            Self::Datasets => "/v1/finra/datasets",
            Self::Data(_) => "/v1/finra/data/group/{group}/name/{name}",
            Self::Row(..) => "/v1/finra/data/group/{group}/name/{name}/id/{id}",
            Self::Metadata(_) => "/v1/finra/metadata/group/{group}/name/{name}",
            Self::Partitions(_) => "/v1/finra/partitions/group/{group}/name/{name}",
            Self::AsyncStatus(..) => "/v1/finra/async-requests/group/{group}/name/{name}/{id}",
        }
    }

    /// The path FINRA is asked for, built from the route's parts, one segment each.
    pub(crate) fn upstream_path(self) -> Result<ApiPath, finra_client::FinraError> {
        let dataset =
            |kind, Dataset { group, name }: Dataset<'a>| [kind, "group", group.0, "name", name.0];
        match self {
            Self::Datasets => ApiPath::from_segments(&["datasets"]),
            Self::Data(d) => ApiPath::from_segments(&dataset("data", d)),
            Self::Metadata(d) => ApiPath::from_segments(&dataset("metadata", d)),
            Self::Partitions(d) => ApiPath::from_segments(&dataset("partitions", d)),
            Self::Row(d, id) => {
                let [kind, g, group, n, name] = dataset("data", d);
                ApiPath::from_segments(&[kind, g, group, n, name, "id", id.0])
            }
            Self::AsyncStatus(d, id) => {
                let [kind, g, group, n, name] = dataset("async-requests", d);
                ApiPath::from_segments(&[kind, g, group, n, name, id.0])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ENDPOINTS, Serves};

    /// The route table lists exactly the FINRA paths this module parses, with their methods.
    #[test]
    fn the_route_tables_finra_paths_are_the_parsed_templates() {
        let mut templates = std::collections::BTreeSet::new();
        for endpoint in ENDPOINTS
            .iter()
            .filter(|endpoint| matches!(endpoint.serves, Serves::Finra))
        {
            let sample = endpoint
                .path
                .replace("{group}", "otcMarket")
                .replace("{name}", "weeklySummary")
                .replace("{id}", "a1-b2");
            let rest = sample.strip_prefix("/v1/finra").expect("under /v1/finra");
            let route = FinraRoute::for_request(&endpoint.method, rest).expect(endpoint.path);
            assert_eq!(route.template(), endpoint.path);
            templates.insert(endpoint.path);
        }
        // One per variant: Datasets, Data, Row, Metadata, Partitions, AsyncStatus.
        assert_eq!(templates.len(), 6, "{templates:?}");
    }

    fn upstream(rest: &str) -> Option<String> {
        FinraRoute::parse(rest).map(|route| {
            route
                .upstream_path()
                .expect("a valid route has a path")
                .as_str()
                .to_owned()
        })
    }

    #[test]
    fn finras_paths_are_rebuilt_from_their_parts() {
        for path in [
            "/datasets",
            "/data/group/otcMarket/name/weeklySummary",
            "/data/group/firm/name/firmProfile/id/1-a-B",
            "/metadata/group/g/name/n",
            "/partitions/group/FIRM/name/firmProfile",
            "/async-requests/group/g/name/n/0b6f-11aa",
        ] {
            assert_eq!(upstream(path).as_deref(), Some(path));
        }
        let long = "a".repeat(64);
        assert!(upstream(&format!("/data/group/{long}/name/{long}")).is_some());
    }

    #[test]
    fn anything_but_the_plain_form_is_no_route() {
        let long = "a".repeat(65);
        for path in [
            "",
            "/",
            "datasets",
            "//datasets",
            "/datasets/",
            "/data/group/otcMarket",
            "/data/group//name/x",
            "/data/group/otcMarket/name/",
            "/data/group/otcMarket/name/..\\..\\firm\\name\\firmProfile",
            "/data/group/otcMarket/name/..%5C..%5Cfirm",
            "/data/group/otcMarket/name/%2e%2e",
            "/data/group/otcMarket/name/..",
            "/data/group/otcMarket/name/.",
            "/data/group/otcMarket/name/a.b",
            "/data/group/otcMarket/name/a%2Fb",
            "/data/group/otcMarket/name/weeklySummary;x=1",
            "/data/group/otc%4Darket/name/weeklySummary",
            "/data/group/otcMärket/name/weeklySummary",
            "/data/group/otc\u{0}Market/name/weeklySummary",
            "/data/group/otcMarket/name/weekly-Summary",
            "/data/group/firm/name/firmProfile/id/1_2",
            "/data/group/firm/name/firmProfile/id/",
            "/data/group/firm/name/firmProfile/id/1/x",
            "/async-requests/group/g/name/n/a.b",
            "/admin",
            "/fip/rest/ews/oauth2/access_token",
            "/DATA/group/otcMarket/name/weeklySummary",
            "/data/group/otcMarket/name/weeklySummary/extra/x/y/z/w",
        ] {
            assert_eq!(FinraRoute::parse(path), None, "{path:?}");
        }
        assert_eq!(
            FinraRoute::parse(&format!("/data/group/{long}/name/x")),
            None
        );
        assert_eq!(
            FinraRoute::parse(&format!("/async-requests/group/g/name/n/{long}")),
            None
        );
    }

    #[test]
    fn each_route_takes_its_methods() {
        let data = "/data/group/otcMarket/name/weeklySummary";
        assert!(FinraRoute::for_request(&Method::POST, data).is_ok());
        assert!(FinraRoute::for_request(&Method::GET, data).is_ok());
        assert!(matches!(
            FinraRoute::for_request(&Method::DELETE, data),
            Err(ApiError::MethodNotAllowed { allow }) if allow == "GET, POST"
        ));
        assert!(matches!(
            FinraRoute::for_request(&Method::POST, "/metadata/group/g/name/n"),
            Err(ApiError::MethodNotAllowed { allow }) if allow == "GET"
        ));
        assert!(matches!(
            FinraRoute::for_request(&Method::POST, "/metadata/group/g/name/n.x"),
            Err(ApiError::NotFound)
        ));
        let status = FinraRoute::parse("/async-requests/group/g/name/n/id").expect("a route");
        assert!(status.is_async_status());
        assert_eq!(
            status
                .dataset()
                .map(|d| (d.group.as_str(), d.name.as_str())),
            Some(("g", "n"))
        );
        assert_eq!(FinraRoute::Datasets.dataset(), None);
    }
}
