export default [
  { name: 'mastodon', href: 'https://mastodon.social/@steppeledger' },
  { name: 'telegram', href: 'https://t.me/steppeledger' },
]
