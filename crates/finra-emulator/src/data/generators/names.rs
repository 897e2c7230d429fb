//! Hand-written pools of real-looking names: well-known securities by tier, ATS venues, OTC
//! (non-ATS) dealers, and the word lists that generate the long tail of issuers and firms.
//!
//! The figures here (prices, CRD numbers, venue weights) are plausible, not authoritative: the
//! emulator's data is synthetic.

/// Where a security is listed; decides the short-interest market class and exchange codes and the
/// weekly summaries' product type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// Nasdaq Global (Select) Market.
    Nasdaq,
    /// Nasdaq Capital Market.
    NasdaqCapital,
    /// New York Stock Exchange.
    Nyse,
    /// NYSE American.
    NyseAmerican,
    /// NYSE Arca (most ETFs).
    NyseArca,
    /// Cboe BZX.
    CboeBzx,
    /// Not exchange-listed (OTC equity).
    Otc,
}

impl Listing {
    /// consolidatedShortInterest `marketClassCode`.
    pub(super) fn market_class(self) -> &'static str {
        match self {
            Self::Nasdaq => "NNM",
            Self::NasdaqCapital => "SC",
            Self::Nyse => "NYSE",
            Self::NyseAmerican => "AMEX",
            Self::NyseArca => "ARCA",
            Self::CboeBzx => "BZX",
            Self::Otc => "OTC",
        }
    }

    /// consolidatedShortInterest `issuerServicesGroupExchangeCode`.
    pub(super) fn exchange_code(self) -> &'static str {
        match self {
            Self::Nasdaq | Self::NasdaqCapital => "Q",
            Self::Nyse => "N",
            Self::NyseAmerican => "A",
            Self::NyseArca => "P",
            Self::CboeBzx => "Z",
            Self::Otc => "U",
        }
    }

    /// The weekly/monthly summaries' `productTypeCode` on symbol rows: the SIP plan of the
    /// listing market (`UTP` for Nasdaq, `CTA` for the others), none for OTC equities.
    pub(super) fn product_type(self) -> Option<&'static str> {
        match self {
            Self::Nasdaq | Self::NasdaqCapital => Some("UTP"),
            Self::Nyse | Self::NyseAmerican | Self::NyseArca | Self::CboeBzx => Some("CTA"),
            Self::Otc => None,
        }
    }
}

/// A hand-written security: symbol, issue name, typical price, listing.
pub(super) type KnownSecurity = (&'static str, &'static str, f64, Listing);

use Listing::{CboeBzx, Nasdaq, NasdaqCapital, Nyse, NyseAmerican, NyseArca, Otc};
use Markets::{Both, Nms};

/// NMS Tier 1 (S&P 500, Russell 1000, selected ETPs), roughly most off-exchange-active first.
pub(super) static TIER1: &[KnownSecurity] = &[
    ("SPY", "SPDR S&P 500 ETF Trust", 590.0, NyseArca),
    ("TSLA", "Tesla, Inc. Common Stock", 330.0, Nasdaq),
    ("NVDA", "NVIDIA Corporation Common Stock", 140.0, Nasdaq),
    ("AAPL", "Apple Inc. Common Stock", 230.0, Nasdaq),
    ("QQQ", "Invesco QQQ Trust, Series 1", 510.0, Nasdaq),
    ("AMZN", "Amazon.com, Inc. Common Stock", 210.0, Nasdaq),
    (
        "PLTR",
        "Palantir Technologies Inc. Class A Common Stock",
        80.0,
        Nasdaq,
    ),
    (
        "AMD",
        "Advanced Micro Devices, Inc. Common Stock",
        140.0,
        Nasdaq,
    ),
    ("IWM", "iShares Russell 2000 ETF", 220.0, NyseArca),
    (
        "SOXL",
        "Direxion Daily Semiconductor Bull 3X Shares",
        28.0,
        NyseArca,
    ),
    ("TQQQ", "ProShares UltraPro QQQ", 80.0, Nasdaq),
    ("F", "Ford Motor Company Common Stock", 10.5, Nyse),
    ("INTC", "Intel Corporation Common Stock", 21.0, Nasdaq),
    ("SOFI", "SoFi Technologies, Inc. Common Stock", 15.0, Nasdaq),
    (
        "BAC",
        "Bank of America Corporation Common Stock",
        45.0,
        Nyse,
    ),
    ("MSFT", "Microsoft Corporation Common Stock", 420.0, Nasdaq),
    (
        "META",
        "Meta Platforms, Inc. Class A Common Stock",
        600.0,
        Nasdaq,
    ),
    ("GOOGL", "Alphabet Inc. Class A Common Stock", 180.0, Nasdaq),
    ("GOOG", "Alphabet Inc. Class C Capital Stock", 182.0, Nasdaq),
    ("T", "AT&T Inc. Common Stock", 23.0, Nyse),
    ("PFE", "Pfizer, Inc. Common Stock", 26.0, Nyse),
    (
        "AAL",
        "American Airlines Group, Inc. Common Stock",
        15.0,
        Nasdaq,
    ),
    ("CCL", "Carnival Corporation Common Stock", 24.0, Nyse),
    (
        "RIVN",
        "Rivian Automotive, Inc. Class A Common Stock",
        13.0,
        Nasdaq,
    ),
    ("MARA", "MARA Holdings, Inc. Common Stock", 18.0, Nasdaq),
    (
        "WBD",
        "Warner Bros. Discovery, Inc. Series A Common Stock",
        10.0,
        Nasdaq,
    ),
    ("XLF", "Financial Select Sector SPDR Fund", 48.0, NyseArca),
    (
        "HOOD",
        "Robinhood Markets, Inc. Class A Common Stock",
        40.0,
        Nasdaq,
    ),
    ("UBER", "Uber Technologies, Inc. Common Stock", 72.0, Nyse),
    (
        "SMCI",
        "Super Micro Computer, Inc. Common Stock",
        35.0,
        Nasdaq,
    ),
    ("MU", "Micron Technology, Inc. Common Stock", 100.0, Nasdaq),
    (
        "CSCO",
        "Cisco Systems, Inc. Common Stock (DE)",
        58.0,
        Nasdaq,
    ),
    ("WFC", "Wells Fargo & Company Common Stock", 70.0, Nyse),
    ("C", "Citigroup, Inc. Common Stock", 70.0, Nyse),
    ("KO", "Coca-Cola Company (The) Common Stock", 63.0, Nyse),
    ("JPM", "JP Morgan Chase & Co. Common Stock", 240.0, Nyse),
    ("XOM", "Exxon Mobil Corporation Common Stock", 110.0, Nyse),
    ("VZ", "Verizon Communications Inc. Common Stock", 40.0, Nyse),
    ("NKE", "Nike, Inc. Common Stock", 75.0, Nyse),
    ("DIS", "Walt Disney Company (The) Common Stock", 110.0, Nyse),
    ("BA", "Boeing Company (The) Common Stock", 170.0, Nyse),
    ("AVGO", "Broadcom Inc. Common Stock", 220.0, Nasdaq),
    ("NFLX", "Netflix, Inc. Common Stock", 900.0, Nasdaq),
    ("PYPL", "PayPal Holdings, Inc. Common Stock", 80.0, Nasdaq),
    (
        "COIN",
        "Coinbase Global, Inc. Class A Common Stock",
        260.0,
        Nasdaq,
    ),
    ("MSTR", "Strategy Inc Class A Common Stock", 330.0, Nasdaq),
    ("GM", "General Motors Company Common Stock", 52.0, Nyse),
    ("SNAP", "Snap Inc. Class A Common Stock", 11.0, Nyse),
    ("LCID", "Lucid Group, Inc. Common Stock", 2.8, Nasdaq),
    (
        "CMCSA",
        "Comcast Corporation Class A Common Stock",
        38.0,
        Nasdaq,
    ),
    ("KMI", "Kinder Morgan, Inc. Common Stock", 27.0, Nyse),
    ("PCG", "PG&E Corporation Common Stock", 19.0, Nyse),
    (
        "HBAN",
        "Huntington Bancshares Incorporated Common Stock",
        16.0,
        Nasdaq,
    ),
    ("KVUE", "Kenvue Inc. Common Stock", 22.0, Nyse),
    ("CVX", "Chevron Corporation Common Stock", 150.0, Nyse),
    ("WMT", "Walmart Inc. Common Stock", 90.0, Nasdaq),
    ("ORCL", "Oracle Corporation Common Stock", 170.0, Nyse),
    ("CRM", "Salesforce, Inc. Common Stock", 300.0, Nyse),
    ("ADBE", "Adobe Inc. Common Stock", 450.0, Nasdaq),
    ("QCOM", "QUALCOMM Incorporated Common Stock", 160.0, Nasdaq),
    (
        "TXN",
        "Texas Instruments Incorporated Common Stock",
        190.0,
        Nasdaq,
    ),
    (
        "MRVL",
        "Marvell Technology, Inc. Common Stock",
        90.0,
        Nasdaq,
    ),
    (
        "SCHW",
        "Charles Schwab Corporation (The) Common Stock",
        78.0,
        Nyse,
    ),
    ("MS", "Morgan Stanley Common Stock", 125.0, Nyse),
    (
        "GS",
        "Goldman Sachs Group, Inc. (The) Common Stock",
        560.0,
        Nyse,
    ),
    (
        "UNH",
        "UnitedHealth Group Incorporated Common Stock (DE)",
        520.0,
        Nyse,
    ),
    ("JNJ", "Johnson & Johnson Common Stock", 155.0, Nyse),
    (
        "MRK",
        "Merck & Company, Inc. Common Stock (new)",
        100.0,
        Nyse,
    ),
    ("ABBV", "AbbVie Inc. Common Stock", 180.0, Nyse),
    ("LLY", "Eli Lilly and Company Common Stock", 800.0, Nyse),
    (
        "PG",
        "Procter & Gamble Company (The) Common Stock",
        165.0,
        Nyse,
    ),
    ("PEP", "PepsiCo, Inc. Common Stock", 155.0, Nasdaq),
    (
        "COST",
        "Costco Wholesale Corporation Common Stock",
        920.0,
        Nasdaq,
    ),
    ("HD", "Home Depot, Inc. (The) Common Stock", 400.0, Nyse),
    ("LOW", "Lowe's Companies, Inc. Common Stock", 260.0, Nyse),
    ("MCD", "McDonald's Corporation Common Stock", 290.0, Nyse),
    ("SBUX", "Starbucks Corporation Common Stock", 98.0, Nasdaq),
    ("TGT", "Target Corporation Common Stock", 135.0, Nyse),
    ("V", "Visa Inc.", 310.0, Nyse),
    ("MA", "Mastercard Incorporated Common Stock", 520.0, Nyse),
    ("AXP", "American Express Company Common Stock", 290.0, Nyse),
    (
        "IBM",
        "International Business Machines Corporation Common Stock",
        220.0,
        Nyse,
    ),
    ("CAT", "Caterpillar, Inc. Common Stock", 380.0, Nyse),
    ("DE", "Deere & Company Common Stock", 420.0, Nyse),
    ("GE", "GE Aerospace Common Stock", 180.0, Nyse),
    (
        "HON",
        "Honeywell International Inc. Common Stock",
        220.0,
        Nasdaq,
    ),
    ("MMM", "3M Company Common Stock", 130.0, Nyse),
    ("RTX", "RTX Corporation Common Stock", 120.0, Nyse),
    (
        "LMT",
        "Lockheed Martin Corporation Common Stock",
        500.0,
        Nyse,
    ),
    (
        "UPS",
        "United Parcel Service, Inc. Class B Common Stock",
        130.0,
        Nyse,
    ),
    ("FDX", "FedEx Corporation Common Stock", 280.0, Nyse),
    ("DAL", "Delta Air Lines, Inc. Common Stock", 60.0, Nyse),
    (
        "UAL",
        "United Airlines Holdings, Inc. Common Stock",
        95.0,
        Nasdaq,
    ),
    ("LUV", "Southwest Airlines Company Common Stock", 32.0, Nyse),
    (
        "OXY",
        "Occidental Petroleum Corporation Common Stock",
        50.0,
        Nyse,
    ),
    ("COP", "ConocoPhillips Common Stock", 105.0, Nyse),
    ("SLB", "SLB Limited Common Stock", 42.0, Nyse),
    ("HAL", "Halliburton Company Common Stock", 28.0, Nyse),
    ("DVN", "Devon Energy Corporation Common Stock", 36.0, Nyse),
    ("NEM", "Newmont Corporation Common Stock", 42.0, Nyse),
    ("FCX", "Freeport-McMoRan, Inc. Common Stock", 40.0, Nyse),
    ("CLF", "Cleveland-Cliffs Inc. Common Stock", 11.0, Nyse),
    ("KHC", "The Kraft Heinz Company Common Stock", 30.0, Nasdaq),
    ("MO", "Altria Group, Inc. Common Stock", 55.0, Nyse),
    (
        "PM",
        "Philip Morris International Inc. Common Stock",
        130.0,
        Nyse,
    ),
    (
        "MDLZ",
        "Mondelez International, Inc. Class A Common Stock",
        62.0,
        Nasdaq,
    ),
    ("CVS", "CVS Health Corporation Common Stock", 55.0, Nyse),
    (
        "BMY",
        "Bristol-Myers Squibb Company Common Stock",
        55.0,
        Nyse,
    ),
    ("GILD", "Gilead Sciences, Inc. Common Stock", 95.0, Nasdaq),
    ("AMGN", "Amgen Inc. Common Stock", 290.0, Nasdaq),
    ("MRNA", "Moderna, Inc. Common Stock", 35.0, Nasdaq),
    ("ABT", "Abbott Laboratories Common Stock", 120.0, Nyse),
    (
        "TMO",
        "Thermo Fisher Scientific Inc Common Stock",
        540.0,
        Nyse,
    ),
    ("DHR", "Danaher Corporation Common Stock", 230.0, Nyse),
    (
        "ISRG",
        "Intuitive Surgical, Inc. Common Stock",
        520.0,
        Nasdaq,
    ),
    ("BKNG", "Booking Holdings Inc. Common Stock", 4800.0, Nasdaq),
    ("ABNB", "Airbnb, Inc. Class A Common Stock", 135.0, Nasdaq),
    ("DASH", "DoorDash, Inc. Class A Common Stock", 180.0, Nasdaq),
    ("SNOW", "Snowflake Inc. Common Stock", 170.0, Nyse),
    (
        "CRWD",
        "CrowdStrike Holdings, Inc. Class A Common Stock",
        350.0,
        Nasdaq,
    ),
    (
        "PANW",
        "Palo Alto Networks, Inc. Common Stock",
        185.0,
        Nasdaq,
    ),
    ("NOW", "ServiceNow, Inc. Common Stock", 950.0, Nyse),
    ("INTU", "Intuit Inc. Common Stock", 630.0, Nasdaq),
    (
        "AMAT",
        "Applied Materials, Inc. Common Stock",
        170.0,
        Nasdaq,
    ),
    (
        "LRCX",
        "Lam Research Corporation Common Stock",
        75.0,
        Nasdaq,
    ),
    ("KLAC", "KLA Corporation Common Stock", 680.0, Nasdaq),
    (
        "ON",
        "ON Semiconductor Corporation Common Stock",
        60.0,
        Nasdaq,
    ),
    (
        "DELL",
        "Dell Technologies Inc. Class C Common Stock",
        120.0,
        Nyse,
    ),
    ("HPQ", "HP Inc. Common Stock", 33.0, Nyse),
    (
        "HPE",
        "Hewlett Packard Enterprise Company Common Stock",
        20.0,
        Nyse,
    ),
    (
        "WDC",
        "Western Digital Corporation Common Stock",
        65.0,
        Nasdaq,
    ),
    ("ANET", "Arista Networks, Inc. Common Stock", 100.0, Nyse),
    ("DKNG", "DraftKings Inc. Class A Common Stock", 40.0, Nasdaq),
    (
        "RBLX",
        "Roblox Corporation Class A Common Stock",
        60.0,
        Nyse,
    ),
    ("ROKU", "Roku, Inc. Class A Common Stock", 75.0, Nasdaq),
    (
        "ZM",
        "Zoom Communications, Inc. Class A Common Stock",
        80.0,
        Nasdaq,
    ),
    (
        "AFRM",
        "Affirm Holdings, Inc. Class A Common Stock",
        60.0,
        Nasdaq,
    ),
    ("USB", "U.S. Bancorp Common Stock", 48.0, Nyse),
    (
        "PNC",
        "PNC Financial Services Group, Inc. (The) Common Stock",
        190.0,
        Nyse,
    ),
    (
        "TFC",
        "Truist Financial Corporation Common Stock",
        43.0,
        Nyse,
    ),
    ("KEY", "KeyCorp Common Stock", 17.0, Nyse),
    (
        "RF",
        "Regions Financial Corporation Common Stock",
        23.0,
        Nyse,
    ),
    (
        "BRK.B",
        "Berkshire Hathaway Inc. Class B Common Stock",
        470.0,
        Nyse,
    ),
    ("XLE", "Energy Select Sector SPDR Fund", 90.0, NyseArca),
    ("XLK", "Technology Select Sector SPDR Fund", 230.0, NyseArca),
    ("GLD", "SPDR Gold Trust, SPDR Gold Shares", 240.0, NyseArca),
    ("SLV", "iShares Silver Trust", 28.0, NyseArca),
    ("TLT", "iShares 20+ Year Treasury Bond ETF", 90.0, Nasdaq),
    (
        "HYG",
        "iShares iBoxx $ High Yield Corporate Bond ETF",
        79.0,
        NyseArca,
    ),
    ("EEM", "iShares MSCI Emerging Markets ETF", 43.0, NyseArca),
    ("EFA", "iShares MSCI EAFE ETF", 78.0, NyseArca),
    ("VOO", "Vanguard S&P 500 ETF", 540.0, NyseArca),
    ("IVV", "iShares Core S&P 500 ETF", 590.0, NyseArca),
    (
        "DIA",
        "SPDR Dow Jones Industrial Average ETF Trust",
        430.0,
        NyseArca,
    ),
    ("SQQQ", "ProShares UltraPro Short QQQ", 30.0, Nasdaq),
    (
        "UVXY",
        "ProShares Ultra VIX Short-Term Futures ETF",
        25.0,
        CboeBzx,
    ),
    ("ARKK", "ARK Innovation ETF", 55.0, NyseArca),
    ("KRE", "SPDR S&P Regional Banking ETF", 60.0, NyseArca),
    ("SMH", "VanEck Semiconductor ETF", 240.0, Nasdaq),
    ("IBIT", "iShares Bitcoin Trust ETF", 55.0, Nasdaq),
    ("BRKR", "Bruker Corporation Common Stock", 52.0, Nasdaq),
];

/// NMS Tier 2 (all other NMS stocks): small caps, foreign issuers' ADSs, speculative names.
pub(super) static TIER2: &[KnownSecurity] = &[
    (
        "AMC",
        "AMC Entertainment Holdings, Inc. Class A Common Stock",
        3.5,
        Nyse,
    ),
    (
        "NIO",
        "NIO Inc. American depositary shares, each representing one Class A ordinary share",
        4.5,
        Nyse,
    ),
    ("PLUG", "Plug Power, Inc. Common Stock", 2.2, Nasdaq),
    ("SNDL", "SNDL Inc. Common Shares", 1.8, NasdaqCapital),
    ("BBAI", "BigBear.ai Holdings, Inc. Common Stock", 4.0, Nyse),
    (
        "OPEN",
        "Opendoor Technologies Inc Common Stock",
        2.5,
        Nasdaq,
    ),
    ("TLRY", "Tilray Brands, Inc. Common Stock", 1.2, Nasdaq),
    (
        "SOUN",
        "SoundHound AI, Inc. Class A Common Stock",
        12.0,
        Nasdaq,
    ),
    (
        "RGTI",
        "Rigetti Computing, Inc. Common Stock",
        12.0,
        NasdaqCapital,
    ),
    (
        "QUBT",
        "Quantum Computing Inc. Common Stock",
        12.0,
        NasdaqCapital,
    ),
    (
        "ACHR",
        "Archer Aviation Inc. Class A Common Stock",
        9.0,
        Nyse,
    ),
    ("JOBY", "Joby Aviation, Inc. Common Stock", 7.0, Nyse),
    ("LUMN", "Lumen Technologies, Inc. Common Stock", 6.0, Nyse),
    ("NU", "Nu Holdings Ltd. Class A Ordinary Shares", 13.0, Nyse),
    ("VALE", "VALE S.A. American Depositary Shares", 10.0, Nyse),
    (
        "ITUB",
        "Itau Unibanco Banco Holding SA American Depositary Shares",
        6.0,
        Nyse,
    ),
    (
        "BBD",
        "Banco Bradesco Sa American Depositary Shares",
        2.5,
        Nyse,
    ),
    (
        "ABEV",
        "Ambev S.A. American Depositary Shares (Each representing 1 Common Share)",
        2.3,
        Nyse,
    ),
    (
        "GRAB",
        "Grab Holdings Limited Class A Ordinary Shares",
        5.0,
        Nasdaq,
    ),
    (
        "BABA",
        "Alibaba Group Holding Limited American Depositary Shares",
        110.0,
        Nyse,
    ),
    (
        "TSM",
        "Taiwan Semiconductor Manufacturing Company Ltd.",
        190.0,
        Nyse,
    ),
    ("BB", "BlackBerry Limited Common Stock", 3.5, Nyse),
    (
        "NOK",
        "Nokia Corporation Sponsored American Depositary Shares",
        4.8,
        Nyse,
    ),
    ("RIOT", "Riot Platforms, Inc. Common Stock", 11.0, Nasdaq),
    ("CLSK", "CleanSpark, Inc. Common Stock", 10.0, Nasdaq),
    ("WULF", "TeraWulf Inc. Common Stock", 6.0, NasdaqCapital),
    ("CIFR", "Cipher Mining Inc. Common Stock", 5.0, Nasdaq),
    (
        "AAOI",
        "Applied Optoelectronics, Inc. Common Stock",
        25.0,
        Nasdaq,
    ),
    ("KOSS", "Koss Corporation Common Stock", 7.0, NasdaqCapital),
    (
        "UEC",
        "Uranium Energy Corp. Common Stock",
        7.5,
        NyseAmerican,
    ),
    ("GPRO", "GoPro, Inc. Class A Common Stock", 1.1, Nasdaq),
    ("FCEL", "FuelCell Energy, Inc. Common Stock", 6.0, Nasdaq),
];

/// OTC equities: heavily traded ADRs and foreign ordinaries, the GSEs, a few pink sheets.
pub(super) static OTCE: &[KnownSecurity] = &[
    ("FNMA", "Federal National Mortgage Association", 8.0, Otc),
    ("FMCC", "Federal Home Loan Mortgage Corporation", 6.0, Otc),
    ("TCEHY", "Tencent Holdings Ltd. Unsponsored ADR", 55.0, Otc),
    ("NSRGY", "Nestle S.A. Sponsored ADR", 95.0, Otc),
    (
        "AITX",
        "Artificial Intelligence Technology Solutions Inc.",
        0.002,
        Otc,
    ),
    ("RHHBY", "Roche Holding Ltd. Sponsored ADR", 40.0, Otc),
    ("BYDDY", "BYD Co. Ltd. Unsponsored ADR", 70.0, Otc),
    (
        "LVMUY",
        "LVMH Moet Hennessy Louis Vuitton SE Unsponsored ADR",
        140.0,
        Otc,
    ),
    ("SFTBY", "SoftBank Group Corp. Unsponsored ADR", 30.0, Otc),
    ("RYCEY", "Rolls-Royce Holdings plc Sponsored ADR", 9.0, Otc),
    (
        "FNMAS",
        "Federal National Mortgage Association Preferred Series S",
        12.0,
        Otc,
    ),
    ("BAYRY", "Bayer AG Sponsored ADR", 6.0, Otc),
    ("NTDOY", "Nintendo Co. Ltd. Unsponsored ADR", 15.0, Otc),
    ("VWAGY", "Volkswagen AG Sponsored ADR", 10.0, Otc),
    ("ADDYY", "adidas AG Sponsored ADR", 120.0, Otc),
    ("SIEGY", "Siemens AG Sponsored ADR", 95.0, Otc),
    ("DTEGY", "Deutsche Telekom AG Sponsored ADR", 30.0, Otc),
    ("BYDDF", "BYD Co. Ltd. Ordinary Shares - Class H", 35.0, Otc),
    (
        "HESAY",
        "Hermes International SA Unsponsored ADR",
        250.0,
        Otc,
    ),
    ("AIQUY", "L'Air Liquide SA Unsponsored ADR", 35.0, Otc),
    ("DNNGY", "Orsted A/S Unsponsored ADR", 15.0, Otc),
    ("ALLIF", "Alpha Lithium Corp.", 0.5, Otc),
    ("HMBL", "HUMBL, Inc.", 0.003, Otc),
    ("ILUS", "Ilustrato Pictures International Inc.", 0.01, Otc),
];

/// An alternative trading system as it appears in the OTC transparency data.
#[derive(Debug, Clone, Copy)]
pub(super) struct AtsVenue {
    /// The ATS's MPID.
    pub(super) mpid: &'static str,
    /// The ATS's name; `marketParticipantName` is `"{mpid} {name}"`.
    pub(super) name: &'static str,
    /// The operating broker-dealer.
    pub(super) firm: &'static str,
    /// The operator's CRD number.
    pub(super) crd: i64,
    /// Relative share of ATS volume.
    pub(super) weight: f64,
    /// Relative trade size (block-oriented venues are well above 1).
    pub(super) size_factor: f64,
    /// Which securities it trades.
    pub(super) markets: Markets,
}

/// Which securities an ATS trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Markets {
    /// NMS stocks only.
    Nms,
    /// OTC equities only.
    Otc,
    /// Both.
    Both,
}

impl AtsVenue {
    /// Whether it trades NMS stocks.
    pub(super) fn trades_nms(&self) -> bool {
        matches!(self.markets, Markets::Nms | Markets::Both)
    }

    /// Whether it trades OTC equities.
    pub(super) fn trades_otce(&self) -> bool {
        matches!(self.markets, Markets::Otc | Markets::Both)
    }
}

const fn ats(
    mpid: &'static str,
    name: &'static str,
    firm: &'static str,
    crd: i64,
    weight: f64,
    size_factor: f64,
    markets: Markets,
) -> AtsVenue {
    AtsVenue {
        mpid,
        name,
        firm,
        crd,
        weight,
        size_factor,
        markets,
    }
}

/// ATS venues, largest first.
pub(super) static ATS_VENUES: &[AtsVenue] = &[
    ats(
        "UBSA",
        "UBS ATS",
        "UBS Securities LLC",
        7654,
        12.0,
        1.0,
        Both,
    ),
    ats(
        "INCR",
        "INTELLIGENT CROSS LLC",
        "Intelligent Cross LLC",
        298_447,
        11.0,
        0.9,
        Both,
    ),
    ats(
        "JPBX",
        "JPB-X",
        "J.P. Morgan Securities LLC",
        79,
        9.0,
        1.0,
        Nms,
    ),
    ats(
        "CROS",
        "CROSSFINDER",
        "Credit Suisse Securities (USA) LLC",
        816,
        7.5,
        1.0,
        Both,
    ),
    ats("EBXL", "LEVEL ATS", "Level ATS LLC", 145_611, 7.0, 1.0, Nms),
    ats(
        "MSPL",
        "MS POOL (ATS-4)",
        "Morgan Stanley & Co. LLC",
        8209,
        6.5,
        1.0,
        Nms,
    ),
    ats(
        "SGMT",
        "SIGMA X2",
        "Goldman Sachs & Co. LLC",
        361,
        6.0,
        1.0,
        Nms,
    ),
    ats(
        "IATS",
        "IBKR ATS",
        "Interactive Brokers LLC",
        36418,
        5.5,
        0.8,
        Both,
    ),
    ats(
        "MLIX",
        "INSTINCT X",
        "BofA Securities, Inc.",
        283_942,
        5.0,
        1.0,
        Nms,
    ),
    ats(
        "DBAX",
        "SUPERX ATS",
        "Deutsche Bank Securities Inc.",
        2525,
        4.0,
        1.0,
        Nms,
    ),
    ats(
        "BIDS",
        "BIDS ATS",
        "BIDS Trading L.P.",
        128_472,
        3.5,
        6.0,
        Nms,
    ),
    ats(
        "ICBX",
        "INSTINET CONTINUOUS BLOCK CROSSING SYSTEM (CBX)",
        "Instinet, LLC",
        7897,
        3.2,
        1.2,
        Nms,
    ),
    ats(
        "CGXS",
        "CITI CROSS",
        "Citigroup Global Markets Inc.",
        7059,
        3.0,
        1.0,
        Nms,
    ),
    ats(
        "LATS",
        "BARCLAYS ATS",
        "Barclays Capital Inc.",
        19714,
        2.8,
        1.0,
        Nms,
    ),
    ats(
        "JPMX",
        "JPM-X",
        "J.P. Morgan Securities LLC",
        79,
        2.5,
        1.0,
        Nms,
    ),
    ats(
        "MSRP",
        "MS RETAIL POOL",
        "Morgan Stanley & Co. LLC",
        8209,
        2.2,
        0.7,
        Nms,
    ),
    ats(
        "ITGP",
        "POSIT",
        "Virtu Americas LLC",
        149_823,
        2.0,
        1.5,
        Nms,
    ),
    ats(
        "KCGM",
        "VIRTU MATCHIT",
        "Virtu Americas LLC",
        149_823,
        1.8,
        0.9,
        Nms,
    ),
    ats("NYFX", "MILLENNIUM", "NYFIX LLC", 39_114, 1.5, 1.0, Nms),
    ats(
        "PDQX",
        "CODA MARKETS ATS",
        "Coda Markets, Inc.",
        146_260,
        1.3,
        1.0,
        Nms,
    ),
    ats(
        "LQNA",
        "LIQUIDNET NEGOTIATED",
        "Liquidnet, Inc.",
        103_987,
        1.2,
        20.0,
        Nms,
    ),
    ats(
        "LMNX",
        "LUMINEX TRADING & ANALYTICS LLC",
        "Luminex Trading & Analytics LLC",
        166_294,
        0.9,
        25.0,
        Nms,
    ),
    ats(
        "BLKX",
        "BLOCKCROSS ATS",
        "Blockcross Trading LLC",
        306_193,
        0.6,
        15.0,
        Nms,
    ),
    ats(
        "ONEC",
        "ONECHRONOS",
        "OneChronos Markets LLC",
        310_412,
        0.6,
        1.1,
        Nms,
    ),
    ats(
        "PUMX",
        "PUMA ATS",
        "Puma Capital, LLC",
        151_207,
        0.5,
        0.8,
        Both,
    ),
    ats(
        "AQUA",
        "AQUA ATS",
        "AQUA Securities, L.P.",
        145_094,
        0.3,
        12.0,
        Nms,
    ),
    ats(
        "OTCX",
        "OTC LINK ATS",
        "OTC Link LLC",
        104_631,
        4.0,
        1.0,
        Markets::Otc,
    ),
    ats(
        "GOTC",
        "GLOBAL OTC",
        "Virtu Americas LLC",
        149_823,
        2.5,
        1.0,
        Markets::Otc,
    ),
];

/// An OTC (non-ATS) dealer: wholesalers, bank desks, agency brokers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dealer {
    /// The dealer's MPID.
    pub(super) mpid: &'static str,
    /// The firm's legal name (`marketParticipantName` / `crdFirmName`).
    pub(super) name: &'static str,
    /// CRD number.
    pub(super) crd: i64,
    /// Relative share of OTC (non-ATS) volume.
    pub(super) weight: f64,
    /// Relative trade size.
    pub(super) size_factor: f64,
    /// Trades OTC equities as well as NMS stocks.
    pub(super) otce: bool,
}

const fn dealer(
    mpid: &'static str,
    name: &'static str,
    crd: i64,
    weight: f64,
    size_factor: f64,
    otce: bool,
) -> Dealer {
    Dealer {
        mpid,
        name,
        crd,
        weight,
        size_factor,
        otce,
    }
}

/// OTC (non-ATS) dealers, largest first.
pub(super) static DEALERS: &[Dealer] = &[
    dealer("CDRG", "Citadel Securities LLC", 116_797, 35.0, 0.8, true),
    dealer("NITE", "Virtu Americas LLC", 149_823, 20.0, 0.8, true),
    dealer("JNST", "Jane Street Capital, LLC", 103_782, 9.0, 1.0, true),
    dealer(
        "ETMM",
        "G1 Execution Services, LLC",
        111_528,
        6.0,
        0.8,
        true,
    ),
    dealer(
        "SOHO",
        "Two Sigma Securities, LLC",
        153_920,
        4.0,
        0.8,
        false,
    ),
    dealer("UBSS", "UBS Securities LLC", 7654, 3.5, 2.5, true),
    dealer("GSCO", "Goldman Sachs & Co. LLC", 361, 3.0, 4.0, false),
    dealer("MSCO", "Morgan Stanley & Co. LLC", 8209, 3.0, 4.0, false),
    dealer("HRTF", "HRT Financial LP", 164_352, 2.8, 0.9, false),
    dealer("INTL", "StoneX Financial Inc.", 45_978, 2.5, 1.5, true),
    dealer("JPMS", "J.P. Morgan Securities LLC", 79, 2.2, 4.0, false),
    dealer("MLCO", "BofA Securities, Inc.", 283_942, 2.0, 4.0, false),
    dealer("IBKR", "Interactive Brokers LLC", 36418, 1.8, 0.7, true),
    dealer(
        "WEXX",
        "Wolverine Execution Services, LLC",
        135_089,
        1.2,
        1.0,
        false,
    ),
    dealer(
        "NFSC",
        "National Financial Services LLC",
        13041,
        1.1,
        0.7,
        true,
    ),
    dealer("SCHB", "Charles Schwab & Co., Inc.", 5393, 1.0, 0.6, true),
    dealer(
        "CGMI",
        "Citigroup Global Markets Inc.",
        7059,
        1.0,
        4.0,
        false,
    ),
    dealer("JEFF", "Jefferies LLC", 2347, 0.9, 3.0, false),
    dealer("RBCM", "RBC Capital Markets, LLC", 31194, 0.8, 3.0, false),
    dealer("CANT", "Cantor Fitzgerald & Co.", 134, 0.7, 2.0, true),
    dealer(
        "STFL",
        "Stifel, Nicolaus & Company, Incorporated",
        793,
        0.6,
        2.0,
        false,
    ),
    dealer("BARD", "Barclays Capital Inc.", 19714, 0.6, 4.0, false),
    dealer(
        "NMRA",
        "Nomura Securities International, Inc.",
        4297,
        0.5,
        3.0,
        false,
    ),
    dealer("PERT", "Pershing LLC", 7560, 0.5, 1.0, true),
    dealer("GTSM", "GTS Securities LLC", 149_191, 0.4, 1.0, true),
    dealer("VIRT", "Virtu Financial BD LLC", 160_372, 0.3, 1.0, true),
    dealer(
        "ALPS",
        "Alpine Securities Corporation",
        14952,
        0.3,
        1.0,
        true,
    ),
    dealer(
        "GLED",
        "Global Arena Capital Corp.",
        130_911,
        0.2,
        1.0,
        true,
    ),
];

/// `marketParticipantName` of the aggregate of firms below FINRA's de minimis threshold.
pub(super) const DE_MINIMIS_NAME: &str = "De Minimis Firms";

/// First syllables of generated issuer and firm names.
pub(super) static STEM_HEADS: &[&str] = &[
    "Ab", "Ad", "Al", "Am", "Ar", "As", "Av", "Bel", "Bri", "Cal", "Cam", "Cor", "Cy", "Dal",
    "Dor", "Dy", "El", "En", "Ev", "Fal", "Fen", "Gal", "Gen", "Hal", "Hel", "Ir", "Jan", "Jun",
    "Kal", "Kor", "Lum", "Lyn", "Mar", "Mer", "Nav", "Nov", "Oak", "Om", "Or", "Pal", "Pax", "Per",
    "Quan", "Ral", "Ros", "Sal", "Sol", "Ster", "Tal", "Ter", "Tri", "Ul", "Val", "Ver", "Vir",
    "Wel", "Wex", "Xen", "Yor", "Zen", "Zy",
];

/// Optional middle syllables.
pub(super) static STEM_MIDDLES: &[&str] = &["", "", "", "a", "e", "i", "o", "en", "ar", "il"];

/// Last syllables.
pub(super) static STEM_TAILS: &[&str] = &[
    "a", "ada", "ant", "ara", "bridge", "cor", "dex", "dyne", "ea", "gen", "exa", "field", "ia",
    "ica", "ion", "ios", "is", "ix", "lex", "lia", "lon", "mark", "nova", "ora", "os", "point",
    "quest", "ra", "rex", "ris", "ron", "stone", "tas", "tek", "tera", "tic", "tix", "tra", "tron",
    "us", "vance", "via", "vista", "wave", "worth", "yx",
];

/// Issue-name endings of generated NMS stocks.
pub(super) static NMS_SUFFIXES: &[&str] = &[
    "Therapeutics, Inc. Common Stock",
    "Technologies, Inc. Common Stock",
    "Holdings Corp. Common Stock",
    "Bancorp, Inc. Common Stock",
    "Financial Corporation Common Stock",
    "Energy, Inc. Common Stock",
    "Industries, Inc. Common Stock",
    "Pharmaceuticals, Inc. Common Stock",
    "Biosciences, Inc. Common Stock",
    "Systems, Inc. Common Stock",
    "Realty Trust Common Shares of Beneficial Interest",
    "Group, Inc. Class A Common Stock",
    "Software, Inc. Common Stock",
    "Semiconductor Corporation Common Stock",
    "Brands, Inc. Common Stock",
    "Resources Corporation Common Stock",
    "Medical, Inc. Common Stock",
    "Networks, Inc. Common Stock",
];

/// Issue-name endings of generated domestic OTC equities.
pub(super) static OTC_SUFFIXES: &[&str] = &[
    "Mining Corp.",
    "Gold Corp.",
    "Holdings, Inc.",
    "Technologies Corp.",
    "Pharmaceuticals, Inc.",
    "Capital Group, Inc.",
    "Energy Corp.",
    "Ventures Inc.",
    "Biotech, Inc.",
    "Lithium Corp.",
    "Brands Inc.",
    "Resources Ltd.",
];

/// Issue-name endings of generated ADRs (symbols ending in `Y`).
pub(super) static ADR_SUFFIXES: &[&str] = &[
    "AG Sponsored ADR",
    "S.A. Unsponsored ADR",
    "plc Sponsored ADR",
    "Co., Ltd. Unsponsored ADR",
    "N.V. Sponsored ADR",
];

/// Issue-name endings of generated foreign ordinaries (symbols ending in `F`).
pub(super) static FOREIGN_SUFFIXES: &[&str] = &[
    "Ltd. Ordinary Shares",
    "Minerals Ltd. Common Shares",
    "Inc. Common Shares",
    "Resources Corp. Common Shares",
];

/// Legal-name endings of generated broker-dealers.
pub(super) static FIRM_SUFFIXES: &[&str] = &[
    "Securities, LLC",
    "Capital Markets, LLC",
    "Financial Services, Inc.",
    "Investments, Inc.",
    "Brokerage, LLC",
    "Partners, L.P.",
    "Wealth Management, LLC",
    "Trading LLC",
    "Advisors & Co.",
    "Securities Corporation",
];

/// Words for generated broker-dealer names (before the suffix).
pub(super) static FIRM_WORDS: &[&str] = &[
    "Harbor",
    "Summit",
    "Granite",
    "Meridian",
    "Beacon",
    "Keystone",
    "Lakeshore",
    "Pinnacle",
    "Cedar",
    "Liberty",
    "Northern",
    "Atlantic",
    "Pacific",
    "Prairie",
    "Redwood",
    "Sterling",
    "Bridgewater",
    "Commonwealth",
    "Heritage",
    "Ironwood",
    "Juniper",
    "Lighthouse",
    "Magnolia",
    "Oakmont",
    "Riverstone",
    "Silverline",
    "Stonegate",
    "Tidewater",
    "Westbrook",
    "Whitehall",
];

/// Cities for firm addresses: city, state code, state name, first three ZIP digits.
pub(super) static CITIES: &[(&str, &str, &str, u32)] = &[
    ("New York", "NY", "New York", 100),
    ("New York", "NY", "New York", 101),
    ("Jersey City", "NJ", "New Jersey", 73),
    ("Chicago", "IL", "Illinois", 606),
    ("Boston", "MA", "Massachusetts", 21),
    ("San Francisco", "CA", "California", 941),
    ("Los Angeles", "CA", "California", 900),
    ("Miami", "FL", "Florida", 331),
    ("Boca Raton", "FL", "Florida", 334),
    ("Dallas", "TX", "Texas", 752),
    ("Houston", "TX", "Texas", 770),
    ("Atlanta", "GA", "Georgia", 303),
    ("Charlotte", "NC", "North Carolina", 282),
    ("Denver", "CO", "Colorado", 802),
    ("Minneapolis", "MN", "Minnesota", 554),
    ("St. Louis", "MO", "Missouri", 631),
    ("Philadelphia", "PA", "Pennsylvania", 191),
    ("Stamford", "CT", "Connecticut", 69),
    ("Greenwich", "CT", "Connecticut", 68),
    ("Seattle", "WA", "Washington", 981),
    ("Salt Lake City", "UT", "Utah", 841),
    ("Omaha", "NE", "Nebraska", 681),
    ("Baltimore", "MD", "Maryland", 212),
    ("Phoenix", "AZ", "Arizona", 850),
    ("Nashville", "TN", "Tennessee", 372),
];

/// Street names for firm addresses.
pub(super) static STREETS: &[&str] = &[
    "Broadway",
    "Park Avenue",
    "Madison Avenue",
    "Wall Street",
    "Water Street",
    "Main Street",
    "Market Street",
    "Wacker Drive",
    "LaSalle Street",
    "Brickell Avenue",
    "Peachtree Street NE",
    "Congress Street",
    "California Street",
    "Commerce Street",
    "Harbor Boulevard",
    "Financial Center Drive",
];
