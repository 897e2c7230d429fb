//! The API description a hub serves: `/openapi.json` is the generated document (the one
//! `docs/openapi.json` holds), and `/docs` is a reference page served from the hub itself.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::{Call, TestApp};

#[tokio::test(start_paused = true)]
async fn the_hub_serves_its_openapi_document() {
    let app = TestApp::new().await;
    let reply = app.send(Call::new(Method::GET, "/openapi.json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.text(),
        finhub_server::http::openapi::document_json(),
        "the served document is the generated one"
    );
    let document: Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["components"]["securitySchemes"]["clientCertificate"]["type"],
        "mutualTLS"
    );
    let login = &document["paths"]["/v1/auth/token"]["post"];
    assert_eq!(login["operationId"], "login");
    for status in ["200", "400", "401", "429"] {
        assert!(login["responses"][status].is_object(), "login {status}");
    }
    assert_eq!(
        login["responses"]["200"]["links"]["GetSession"]["parameters"]["header.Authorization"],
        "Bearer {$response.body#/userSessionToken}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_reference_page_is_served_by_the_hub_itself() {
    let app = TestApp::new().await;
    let reply = app.send(Call::new(Method::GET, "/docs")).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("location"), Some("/docs/index.html"));

    let page = app.send(Call::new(Method::GET, "/docs/index.html")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        page.headers
    );
    // Every script and style the page loads is one of the hub's own files.
    let html = page.text();
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(&format!("./{asset}")), "{asset}");
        let file = app
            .send(Call::new(Method::GET, &format!("/docs/{asset}")))
            .await;
        assert_eq!(file.status, StatusCode::OK, "{asset}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
    let initializer = app
        .send(Call::new(Method::GET, "/docs/swagger-initializer.js"))
        .await;
    assert!(initializer.text().contains("/openapi.json"));

    for missing in ["/docs/", "/docs/nothing.js", "/docs/..%2Fopenapi.json"] {
        app.send(Call::new(Method::GET, missing))
            .await
            .assert_error(404, "not_found");
    }
}
