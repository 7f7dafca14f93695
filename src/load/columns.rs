//! Finding the columns churn needs by their header names, in the languages of the
//! businesses that use it, or by the user's explicit mapping.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// A column churn understands, with the flag that maps it explicitly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Customer,
    Date,
    Amount,
    Store,
    Employee,
    Category,
    /// Feedback: why the customer left or complained (a code or a short text).
    Reason,
    /// Feedback: free text.
    Comment,
    /// Feedback: the quality the customer expected (a rating such as 1–5).
    Expected,
    /// Feedback: the quality they perceived (same scale).
    Perceived,
}

impl Role {
    pub const PURCHASE: [Role; 6] = [
        Role::Customer,
        Role::Date,
        Role::Amount,
        Role::Store,
        Role::Employee,
        Role::Category,
    ];

    /// The name used in messages and in the `[columns]` table of the config file.
    /// The columns of a feedback file.
    pub const FEEDBACK: [Role; 6] = [
        Role::Customer,
        Role::Date,
        Role::Reason,
        Role::Comment,
        Role::Expected,
        Role::Perceived,
    ];

    /// The name used in messages and in the `[columns]` table of the config file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Date => "date",
            Role::Amount => "amount",
            Role::Store => "store",
            Role::Employee => "employee",
            Role::Category => "category",
            Role::Reason => "reason",
            Role::Comment => "comment",
            Role::Expected => "expected",
            Role::Perceived => "perceived",
        }
    }

    /// The flag that names this column explicitly, in a purchases or a feedback file.
    pub fn flag(self, feedback: bool) -> &'static str {
        match (self, feedback) {
            (Role::Customer, true) => "--feedback-customer-col",
            (Role::Date, true) => "--feedback-date-col",
            (Role::Customer, false) => "--customer-col",
            (Role::Date, false) => "--date-col",
            (Role::Amount, _) => "--amount-col",
            (Role::Store, _) => "--store-col",
            (Role::Employee, _) => "--employee-col",
            (Role::Category, _) => "--category-col",
            (Role::Reason, _) => "--reason-col",
            (Role::Comment, _) => "--comment-col",
            (Role::Expected, _) => "--expected-col",
            (Role::Perceived, _) => "--perceived-col",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, Role::Customer | Role::Date | Role::Amount)
    }

    /// Header names recognised for this column, compared after [`normalize_header`].
    /// English first, then Swedish, Norwegian, Danish, German, French, Spanish, Italian,
    /// Dutch and Indonesian. Earlier names win when several headers match.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Role::Customer => &[
                "customer id",
                "customer",
                "customer no",
                "customer number",
                "client id",
                "client",
                "card",
                "card no",
                "card number",
                "card id",
                "loyalty card",
                "loyalty id",
                "member",
                "member id",
                "member no",
                "membership number",
                "account",
                "account id",
                "guest id",
                "guest",
                // sv / no / da
                "kortnummer",
                "kundnummer",
                "kund",
                "kundnr",
                "kund id",
                "medlemsnummer",
                "medlem",
                "kunde",
                "kundenummer",
                "kortnr",
                "medlemsnr",
                // de
                "kundennummer",
                "kundennr",
                "kunden id",
                "karte",
                "kartennummer",
                "mitglied",
                "mitgliedsnummer",
                // fr
                "numero client",
                "no client",
                "id client",
                "carte",
                "numero carte",
                "numero de carte",
                "client fidele",
                "adherent",
                // es / it
                "cliente",
                "id cliente",
                "numero cliente",
                "tarjeta",
                "numero tarjeta",
                "socio",
                "codice cliente",
                "tessera",
                "numero tessera",
                // nl
                "klant",
                "klantnummer",
                "klant id",
                "kaartnummer",
                "lid",
                "lidnummer",
                // id
                "pelanggan",
                "id pelanggan",
                "nomor pelanggan",
                "kartu",
                "nomor kartu",
                "member",
            ],
            Role::Date => &[
                "date",
                "purchase date",
                "order date",
                "transaction date",
                "sale date",
                "visit date",
                "timestamp",
                "datetime",
                "time",
                "day",
                "created at",
                "datum",
                "kopdatum",
                "kjopsdato",
                "dato",
                "kobsdato",
                "tidpunkt",
                "kaufdatum",
                "belegdatum",
                "buchungsdatum",
                "date achat",
                "date de vente",
                "date d achat",
                "fecha",
                "fecha compra",
                "fecha de compra",
                "data",
                "data acquisto",
                "aankoopdatum",
                "transactiedatum",
                "tanggal",
                "tanggal transaksi",
                "tanggal pembelian",
                "waktu",
            ],
            Role::Amount => &[
                "amount",
                "total",
                "value",
                "revenue",
                "sales",
                "net amount",
                "net",
                "price",
                "sum",
                "spend",
                "line total",
                "total amount",
                "gross",
                "belopp",
                "summa",
                "totalt",
                "pris",
                "belop",
                "sum",
                "beloeb",
                "bel\u{f8}b",
                "betrag",
                "umsatz",
                "summe",
                "gesamt",
                "preis",
                "wert",
                "montant",
                "total ttc",
                "prix",
                "valeur",
                "importe",
                "monto",
                "total venta",
                "precio",
                "importo",
                "totale",
                "prezzo",
                "bedrag",
                "totaal",
                "prijs",
                "jumlah",
                "total harga",
                "harga",
                "nilai",
            ],
            Role::Store => &[
                "store",
                "shop",
                "branch",
                "location",
                "outlet",
                "site",
                "restaurant",
                "hotel",
                "butik",
                "filial",
                "affar",
                "butikk",
                "avdeling",
                "forretning",
                "filiale",
                "geschaft",
                "laden",
                "standort",
                "markt",
                "magasin",
                "boutique",
                "point de vente",
                "agence",
                "tienda",
                "sucursal",
                "local",
                "negozio",
                "punto vendita",
                "filiale",
                "winkel",
                "vestiging",
                "filiaal",
                "toko",
                "cabang",
                "gerai",
                "outlet",
            ],
            Role::Employee => &[
                "employee",
                "staff",
                "cashier",
                "clerk",
                "server",
                "seller",
                "salesperson",
                "waiter",
                "operator",
                "user",
                "personal",
                "anstalld",
                "kassor",
                "kassorska",
                "saljare",
                "ansatt",
                "medarbejder",
                "ekspedient",
                "mitarbeiter",
                "kassierer",
                "verkaufer",
                "bediener",
                "employe",
                "vendeur",
                "caissier",
                "serveur",
                "empleado",
                "cajero",
                "vendedor",
                "camarero",
                "dipendente",
                "cassiere",
                "commesso",
                "medewerker",
                "kassier",
                "verkoper",
                "karyawan",
                "kasir",
                "pegawai",
                "pelayan",
            ],
            Role::Category => &[
                "category",
                "product category",
                "department",
                "product group",
                "group",
                "section",
                "kategori",
                "varugrupp",
                "avdelning",
                "produktkategori",
                "varegruppe",
                "kategorie",
                "warengruppe",
                "abteilung",
                "categorie",
                "rayon",
                "famille",
                "categoria",
                "departamento",
                "familia",
                "reparto",
                "productgroep",
                "afdeling",
                "kategori produk",
                "jenis",
            ],
            Role::Reason => &[
                "reason",
                "reason code",
                "churn reason",
                "cancel reason",
                "cancellation reason",
                "cause",
                "topic",
                "complaint",
                "issue",
                "orsak",
                "anledning",
                "arsak",
                "grunn",
                "arsag",
                "aarsag",
                "grund",
                "ursache",
                "beschwerdegrund",
                "kundigungsgrund",
                "raison",
                "motif",
                "cause du depart",
                "motivo",
                "razon",
                "causa",
                "ragione",
                "reden",
                "oorzaak",
                "alasan",
                "sebab",
            ],
            Role::Comment => &[
                "comment",
                "comments",
                "feedback",
                "feedback text",
                "text",
                "remark",
                "remarks",
                "note",
                "notes",
                "message",
                "review",
                "verbatim",
                "kommentar",
                "synpunkt",
                "synpunkter",
                "meddelande",
                "bemaerkning",
                "fritekst",
                "bemerkung",
                "anmerkung",
                "commentaire",
                "remarque",
                "avis",
                "comentario",
                "comentarios",
                "observaciones",
                "commento",
                "opmerking",
                "commentaar",
                "toelichting",
                "komentar",
                "catatan",
                "ulasan",
                "pesan",
            ],
            Role::Expected => &[
                "expected",
                "expectation",
                "expected rating",
                "expected quality",
                "expectation score",
                "forvantning",
                "forvantat",
                "forventning",
                "erwartung",
                "erwartet",
                "attente",
                "attentes",
                "expectativa",
                "aspettativa",
                "aspettativa voto",
                "verwachting",
                "harapan",
                "ekspektasi",
            ],
            Role::Perceived => &[
                "perceived",
                "perceived rating",
                "perceived quality",
                "rating",
                "satisfaction",
                "score",
                "experience",
                "upplevd",
                "upplevelse",
                "betyg",
                "nojdhet",
                "opplevd",
                "oplevet",
                "tilfredshed",
                "wahrgenommen",
                "bewertung",
                "zufriedenheit",
                "percu",
                "qualite percue",
                "percibido",
                "valoracion",
                "satisfaccion",
                "percepito",
                "voto",
                "soddisfazione",
                "ervaren",
                "beoordeling",
                "tevredenheid",
                "persepsi",
                "penilaian",
                "kepuasan",
            ],
        }
    }
}

/// Headers are compared without case, accents, punctuation or extra spaces, so
/// "Köpdatum", "KOPDATUM" and "kop_datum " all mean the same.
pub fn normalize_header(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    let mut space = false;
    for c in header.trim().chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ß' => 's',
        _ => c,
    }
}

/// Explicit column names, from flags or the `[columns]` table of the config file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnNames {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perceived: Option<String>,
}

impl ColumnNames {
    pub fn get(&self, role: Role) -> Option<&str> {
        match role {
            Role::Customer => self.customer.as_deref(),
            Role::Date => self.date.as_deref(),
            Role::Amount => self.amount.as_deref(),
            Role::Store => self.store.as_deref(),
            Role::Employee => self.employee.as_deref(),
            Role::Category => self.category.as_deref(),
            Role::Reason => self.reason.as_deref(),
            Role::Comment => self.comment.as_deref(),
            Role::Expected => self.expected.as_deref(),
            Role::Perceived => self.perceived.as_deref(),
        }
    }

    /// Values set here win over `base`.
    pub fn or(self, base: &ColumnNames) -> ColumnNames {
        ColumnNames {
            customer: self.customer.or_else(|| base.customer.clone()),
            date: self.date.or_else(|| base.date.clone()),
            amount: self.amount.or_else(|| base.amount.clone()),
            store: self.store.or_else(|| base.store.clone()),
            employee: self.employee.or_else(|| base.employee.clone()),
            category: self.category.or_else(|| base.category.clone()),
            reason: self.reason.or_else(|| base.reason.clone()),
            comment: self.comment.or_else(|| base.comment.clone()),
            expected: self.expected.or_else(|| base.expected.clone()),
            perceived: self.perceived.or_else(|| base.perceived.clone()),
        }
    }
}

/// Where each role's column is in the file (0-based field index) and what it is called.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnMap {
    found: Vec<(Role, usize, String)>,
}

impl ColumnMap {
    pub fn index(&self, role: Role) -> Option<usize> {
        self.found
            .iter()
            .find(|(r, _, _)| *r == role)
            .map(|(_, i, _)| *i)
    }

    /// The header of a mapped column, as written in the file.
    pub fn header(&self, role: Role) -> Option<&str> {
        self.found
            .iter()
            .find(|(r, _, _)| *r == role)
            .map(|(_, _, h)| h.as_str())
    }
}

/// Maps `roles` to the columns of `headers`. An explicit name must exist; otherwise the
/// best-ranked synonym wins. A missing required column is an error that lists the
/// columns found and the flags that map them.
pub fn map_columns(
    file: &str,
    headers: &[String],
    roles: &[Role],
    explicit: &ColumnNames,
) -> Result<ColumnMap> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    // Which flags to name in messages.
    let feedback = roles == Role::FEEDBACK.as_slice();
    let mut found: Vec<(Role, usize, String)> = Vec::new();
    let mut missing = Vec::new();
    for &role in roles {
        let taken = |i: usize| found.iter().any(|(_, j, _)| *j == i);
        let index = match explicit.get(role) {
            Some(name) => {
                let want = normalize_header(name);
                match headers
                    .iter()
                    .position(|h| h == name)
                    .or_else(|| normalized.iter().position(|h| *h == want))
                {
                    Some(i) => Some(i),
                    None => bail!(
                        "{file}: {} names column \"{name}\", but the header has no such column; columns found: {}",
                        role.flag(feedback),
                        list_headers(headers)
                    ),
                }
            }
            None => role.synonyms().iter().find_map(|syn| {
                normalized
                    .iter()
                    .enumerate()
                    .find(|(i, h)| h.as_str() == *syn && !taken(*i))
                    .map(|(i, _)| i)
            }),
        };
        match index {
            Some(i) => found.push((role, i, headers[i].clone())),
            None if role.required() => missing.push(role),
            None => {}
        }
    }
    if !missing.is_empty() {
        let what: Vec<String> = missing
            .iter()
            .map(|r| format!("{} NAME", r.flag(feedback)))
            .collect();
        bail!(
            "{file}: cannot find the {} column{}; columns found: {}. Map {} with {}",
            missing
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", "),
            if missing.len() > 1 { "s" } else { "" },
            list_headers(headers),
            if missing.len() > 1 { "them" } else { "it" },
            what.join(", ")
        );
    }
    Ok(ColumnMap { found })
}

fn list_headers(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalizes_headers() {
        assert_eq!(normalize_header(" Köp_Datum "), "kop datum");
        assert_eq!(normalize_header("Customer-ID"), "customer id");
        assert_eq!(normalize_header("Bel\u{f8}b"), "bel\u{f8}b");
    }

    #[test]
    fn maps_english_and_swedish_headers() {
        let m = map_columns(
            "f",
            &strings(&["Card_Number", "Order Date", "Total", "Shop"]),
            &Role::PURCHASE,
            &ColumnNames::default(),
        )
        .unwrap();
        assert_eq!(m.index(Role::Customer), Some(0));
        assert_eq!(m.index(Role::Date), Some(1));
        assert_eq!(m.index(Role::Amount), Some(2));
        assert_eq!(m.index(Role::Store), Some(3));
        assert_eq!(m.index(Role::Employee), None);

        let m = map_columns(
            "f",
            &strings(&[
                "Kortnummer",
                "Datum",
                "Belopp",
                "Butik",
                "Personal",
                "Kategori",
            ]),
            &Role::PURCHASE,
            &ColumnNames::default(),
        )
        .unwrap();
        assert_eq!(m.index(Role::Category), Some(5));
        assert_eq!(m.index(Role::Employee), Some(4));
    }

    #[test]
    fn explicit_names_win_and_must_exist() {
        let explicit = ColumnNames {
            amount: Some("net".into()),
            ..Default::default()
        };
        let m = map_columns(
            "f",
            &strings(&["customer", "date", "total", "net"]),
            &Role::PURCHASE,
            &explicit,
        )
        .unwrap();
        assert_eq!(m.index(Role::Amount), Some(3));

        let explicit = ColumnNames {
            amount: Some("brutto".into()),
            ..Default::default()
        };
        let err = map_columns(
            "f.csv",
            &strings(&["customer", "date"]),
            &Role::PURCHASE,
            &explicit,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("--amount-col names column \"brutto\""),
            "{err}"
        );
    }

    #[test]
    fn missing_columns_list_what_was_found_and_the_flags() {
        let err = map_columns(
            "p.csv",
            &strings(&["who", "when", "amount"]),
            &Role::PURCHASE,
            &ColumnNames::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "p.csv: cannot find the customer, date columns; columns found: \"who\", \"when\", \"amount\". Map them with --customer-col NAME, --date-col NAME"
        );
    }
}
