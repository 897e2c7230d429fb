//! nginx (`stream`, PROXY headers, 2 workers) in front of one and of two instances over one
//! PostgreSQL database, beside one instance reached directly: session checks and logins. The
//! instances share this process's two tokio workers, and everything shares the machine's
//! cores, so a second instance adds no CPU here: the figures show what the balancer costs, not
//! what a second machine would add.

use std::path::Path;

use finhub_server::demo::NginxStream;
use finhub_store::testing::PostgresTestDatabase;

use crate::fixture::{Instance, Seeded, Shape};
use crate::support::rounds::median;
use crate::{ROUNDS, wrk};

pub(crate) fn run(runtime: &tokio::runtime::Runtime, dir: &Path) {
    println!("\n== Behind nginx: one instance direct, one and two behind nginx");
    let Some(nginx) = NginxStream::installed() else {
        println!("nginx is not installed (bench/scale-out.sh installs it): skipped");
        return;
    };
    let database = runtime.block_on(PostgresTestDatabase::create("benchnginx"));
    let direct_shape = Shape {
        database_url: database.url().to_owned(),
        ..Shape::default()
    };
    let behind_shape = Shape {
        behind_proxy: true,
        ..direct_shape.clone()
    };
    let (direct, behind, seeded) = runtime.block_on(async {
        let direct = Instance::start(&direct_shape).await;
        let seeded = Seeded::new(&direct, None, &direct.base()).await;
        let behind = [
            Instance::start(&behind_shape).await,
            Instance::start(&behind_shape).await,
        ];
        (direct, behind, seeded)
    });
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
    };
    let one = NginxStream::start(
        &nginx,
        free_port(),
        &[behind[0].addr],
        2,
        &dir.join("nginx-1"),
    )
    .expect("nginx in front of one instance");
    let two = NginxStream::start(
        &nginx,
        free_port(),
        &[behind[0].addr, behind[1].addr],
        2,
        &dir.join("nginx-2"),
    )
    .expect("nginx in front of two instances");
    let systems = [
        ("one instance, direct", direct.base()),
        ("nginx → one instance", format!("http://{}", one.listen())),
        ("nginx → two instances", format!("http://{}", two.listen())),
    ];
    let mut sessions = [Vec::new(), Vec::new(), Vec::new()];
    let mut logins = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (idx, (name, base)) in systems.iter().enumerate() {
            let check = wrk(
                dir,
                base,
                &format!("{name}: session checks"),
                "/v1/auth/session",
                "64",
                &seeded.session_script(),
            );
            sessions[idx].push(check.rate);
            let login = wrk(
                dir,
                base,
                &format!("{name}: logins"),
                "/v1/auth/token",
                "32",
                &seeded.login_script(),
            );
            logins[idx].push(login.rate);
        }
    }
    let sessions = sessions.map(median);
    let logins = logins.map(median);
    for (idx, (name, _)) in systems.iter().enumerate() {
        println!(
            "{name}: session checks {:.0}/s ({:.2}× direct), logins {:.0}/s ({:.2}× direct)",
            sessions[idx],
            sessions[idx] / sessions[0],
            logins[idx],
            logins[idx] / logins[0]
        );
    }
    println!(
        "two instances behind nginx vs one behind nginx: session checks {:.2}×, logins {:.2}× \
         (one machine, {} cores: the instances share them)",
        sessions[2] / sessions[1],
        logins[2] / logins[1],
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    drop((one, two));
    drop(database);
}
