//! The catalogue: every dataset the emulator serves, found case-insensitively by group and name.

use std::collections::HashMap;
use std::sync::Arc;

use super::{DatasetDef, Scale, Table, generators};

/// One servable dataset: its definition, its (possibly `…Mock`) name and its rows.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The static definition (shared by a dataset and its `…Mock` twin).
    pub def: &'static DatasetDef,
    /// The dataset's name as served (`weeklySummary` or `weeklySummaryMock`).
    pub name: String,
    /// The rows.
    pub table: Arc<Table>,
}

impl Dataset {
    /// The group, in FINRA's documented spelling.
    pub fn group(&self) -> &'static str {
        self.def.group
    }
}

/// All datasets, generated deterministically from a seed.
#[derive(Debug)]
pub struct Catalogue {
    datasets: Vec<Dataset>,
    by_key: HashMap<(String, String), usize>,
}

impl Catalogue {
    /// Generates every dataset from `seed` at `scale`. The same seed gives the same rows.
    pub fn generate(seed: u64, scale: Scale) -> Self {
        let mut datasets = Vec::new();
        for (def, table) in generators::generate_all(seed, scale) {
            let table = Arc::new(table);
            if def.has_mock {
                datasets.push(Dataset {
                    def,
                    name: format!("{}Mock", def.name),
                    table: Arc::clone(&table),
                });
            }
            datasets.push(Dataset {
                def,
                name: def.name.to_owned(),
                table,
            });
        }
        datasets.sort_by(|a, b| (a.def.group, &a.name).cmp(&(b.def.group, &b.name)));
        let by_key = datasets
            .iter()
            .enumerate()
            .map(|(idx, d)| (key(d.def.group, &d.name), idx))
            .collect();
        Self { datasets, by_key }
    }

    /// The dataset with this group and name, compared case-insensitively as FINRA does.
    pub fn find(&self, group: &str, name: &str) -> Option<&Dataset> {
        self.by_key
            .get(&key(group, name))
            .map(|&idx| &self.datasets[idx])
    }

    /// Every dataset, sorted by group and name.
    pub fn iter(&self) -> impl Iterator<Item = &Dataset> {
        self.datasets.iter()
    }
}

fn key(group: &str, name: &str) -> (String, String) {
    (group.to_ascii_lowercase(), name.to_ascii_lowercase())
}
