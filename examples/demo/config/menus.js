export default {
  mainMenu: [
    { name: "News", link: "/categories/news" },
    { name: "Culture", link: "/categories/culture" },
    { name: "Languages", link: "/categories/languages" },
    { name: "Environment", link: "/categories/environment" },
    { name: "Videos", link: "/categories/videos" },
    {
      name: "About",
      link: "#",
      submenu: [
        { name: "About us", link: "/about" },
        { name: "Contact", link: "/contact" },
        { name: "Privacy", link: "/privacy" },
      ],
    },
  ],
  footer: [
    { name: "Home", link: "/" },
    { name: "About us", link: "/about" },
    { name: "Contact", link: "/contact" },
    { name: "Corrections", link: "/corrections" },
    { name: "Privacy", link: "/privacy" },
  ],
};
