export default {
  metaData: {
    title: "The Steppe Ledger",
    description: "Independent news from the lower Volga steppe, in English and Russian.",
    author: "The Steppe Ledger",
    keyword: "steppe, languages, Kalmykia, news, environment",
    ogImage: "/images/steppe-dawn.jpg",
  },
  baseURL: "https://steppe-ledger.example.org/",
  logo: "/images/logo.png",
  logoText: "The Steppe Ledger",
  favicon: "/images/logo.png",
  postPerPage: 6,
  copyright: "© 2024 The Steppe Ledger. Text under CC BY 4.0.",
};
