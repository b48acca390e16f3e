// Loads a scanscope report (index.html) in headless Chromium, checks that
// every chart 1-1 ... 4-4 (and each 2-N) is there with a non-empty drawing,
// that nothing is fetched from the network, and saves a full-page screenshot.
//
//   node check_report.js REPORT_DIR SCREENSHOT.png [CHART_SHOTS_DIR [PRINT.pdf]]
//
// With PRINT.pdf it also lays the page out for print (A4, the report's print
// stylesheet), checks that every chart fits the A4 text width, and prints the
// report to PRINT.pdf as Chromium's "Save as PDF" would.
//
// Exit 0: all good; 1: a check failed (printed); 2: usage or launch error.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const kFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const kCharts = ['1-1', '1-2', '3-1', '3-2', '3-3', '3-4', '3-5', '3-6', '3-7', '3-8',
  '4-1', '4-2', '4-3', '4-4'];

async function main() {
  const [dir, shot, chartDir, pdf] = process.argv.slice(2);
  if (!dir || !shot) {
    console.error('usage: node check_report.js REPORT_DIR SCREENSHOT.png [CHART_SHOTS_DIR]');
    return 2;
  }
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  const noGeo = report.geo_database === null;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'scanscope-chromium-'));
  const failures = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: kFlags,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) failures.push(`fetched ${req.url()}`);
    });
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    await page.goto('file://' + path.resolve(dir, 'index.html'), { waitUntil: 'load' });

    const ids = kCharts.concat(report.charts.map((c) => c.id).filter((id) => id.startsWith('2-')));
    for (const id of ids) {
      const fig = page.locator(`figure#chart-${id}`);
      if ((await fig.count()) !== 1) {
        failures.push(`chart ${id}: no figure#chart-${id}`);
        continue;
      }
      const info = await fig.evaluate((f) => {
        const svg = f.querySelector('svg');
        const cap = f.querySelector('figcaption');
        if (!svg) return { svg: false };
        const box = svg.getBoundingClientRect();
        // Marks: bars, lines and points with a visible size (the white
        // background rect is the first rect and does not count).
        let marks = 0;
        const shapes = svg.querySelectorAll('rect, polyline, circle, path');
        shapes.forEach((el, i) => {
          if (el.tagName === 'rect' && i === 0) return;
          const b = el.getBoundingClientRect();
          if (b.width > 0 && b.height > 0) marks++;
        });
        return { svg: true, width: box.width, height: box.height, marks,
          empty: f.classList.contains('empty'), text: svg.textContent,
          caption: cap ? cap.textContent : '' };
      });
      if (!info.svg) {
        failures.push(`chart ${id}: no svg`);
        continue;
      }
      if (!info.caption.startsWith(`Chart ${id}: `)) failures.push(`chart ${id}: caption "${info.caption}"`);
      const areaChart = ['3-5', '3-6', '3-7', '3-8', '4-3', '4-4'].includes(id);
      if (info.empty) {
        if (noGeo && areaChart && /No IP-to-country database/.test(info.text)) {
          console.log(`chart ${id}: no IP-to-country database (says so)`);
          continue;
        }
        failures.push(`chart ${id}: empty: ${info.text.trim()}`);
        continue;
      }
      if (info.width < 300 || info.height < 100) failures.push(`chart ${id}: ${info.width}x${info.height}px`);
      if (info.marks < 1) failures.push(`chart ${id}: nothing drawn`);
      console.log(`chart ${id}: ${Math.round(info.width)}x${Math.round(info.height)}px, ${info.marks} marks`);
      if (chartDir) {
        fs.mkdirSync(chartDir, { recursive: true });
        await fig.screenshot({ path: path.join(chartDir, `chart-${id}.png`) });
      }
    }
    fs.mkdirSync(path.dirname(path.resolve(shot)), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${path.resolve(shot)}`);
    if (pdf) {
      // A4 less the stylesheet's 12 mm side margins, in CSS px (96 per inch).
      const textWidth = Math.floor(((210 - 2 * 12) / 25.4) * 96);
      await page.setViewportSize({ width: textWidth, height: 1000 });
      await page.emulateMedia({ media: 'print' });
      const wide = await page.evaluate((w) => {
        const out = [];
        document.querySelectorAll('figure svg, table').forEach((el) => {
          const b = el.getBoundingClientRect();
          if (b.right > w + 1) out.push(`${el.closest('figure, table').id || el.tagName}: ${Math.round(b.right)}px`);
        });
        return out;
      }, textWidth);
      for (const w of wide) failures.push(`print: wider than A4 text (${textWidth}px): ${w}`);
      await page.pdf({ path: pdf, format: 'A4', printBackground: true, preferCSSPageSize: true });
      console.log(`print: ${path.resolve(pdf)}`);
    }
  } catch (e) {
    console.error(`browser: ${e.message}`);
    return 2;
  } finally {
    if (context) await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (const f of failures) console.error(`FAIL ${f}`);
  return failures.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
