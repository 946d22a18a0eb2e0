// The dashboard is a server-rendered reader of the collector's query API (CORSIGHT_API_URL): every page
// is dynamic (its view lives in the URL), so nothing is fetched at build time.
import type { NextConfig } from 'next';

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
