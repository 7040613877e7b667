import { build } from "esbuild";
const entry = process.argv[2];
const r = await build({ entryPoints:[entry], bundle:true, platform:"node", target:"node22", format:"esm", minify:true, write:false, metafile:true, mainFields:["module","main"], external:["@aws-sdk/credential-provider-ini","@aws-sdk/credential-provider-sso","@aws-sdk/credential-provider-process","@aws-sdk/credential-provider-web-identity","@aws-sdk/credential-provider-http","@smithy/credential-provider-imds",...(process.env.EXTRA||"").split(",").filter(Boolean)], logLevel:"silent" });
const out = Object.values(r.metafile.outputs)[0];
const by = {};
for (const [f,{bytesInOutput}] of Object.entries(out.inputs)) {
  const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/); const k = m ? m[1] : f.split("/").slice(0,2).join("/");
  by[k]=(by[k]||0)+bytesInOutput;
}
console.log("total", out.bytes);
for (const [k,v] of Object.entries(by).sort((a,b)=>b[1]-a[1]).slice(0,25)) console.log(String(v).padStart(8), k);
