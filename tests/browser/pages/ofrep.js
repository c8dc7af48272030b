// A page on another origin using only stock OpenFeature packages against Tactful's OFREP API.
// Bundled by the test with esbuild (from sdk/node_modules); `window.flags` drives it.
import { OpenFeature } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";

const tactful = new URL(location.href).searchParams.get("tactful");

window.flags = {
  async start(context) {
    await OpenFeature.setContext(context);
    // Nothing kept on the device: the provider's cache would live in localStorage.
    await OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl: tactful, cacheMode: "disabled" }));
    return window.flags.read();
  },
  async context(context) {
    await OpenFeature.setContext(context);
    return window.flags.read();
  },
  read() {
    const client = OpenFeature.getClient();
    const hero = client.getObjectDetails("home-hero", {});
    const shipping = client.getBooleanDetails("free-shipping-banner", false);
    const recommendations = client.getStringDetails("recommendations", "none");
    return {
      hero: { value: hero.value, variant: hero.variant, reason: hero.reason },
      shipping: { value: shipping.value, reason: shipping.reason },
      recommendations: {
        value: recommendations.value,
        reason: recommendations.reason,
        tactfulReason: recommendations.flagMetadata.reason,
      },
    };
  },
};
