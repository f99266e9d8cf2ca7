"""What a person would stumble on in a page on a phone, measured in the page by script (tests/web/test_phone_pages.py
and every phone page test)."""
import os

from tests.support.browser import ARTIFACTS, PHONE

# What a person would stumble on, measured in the page: [problem, …]. An element inside one that clips or
# scrolls on purpose is judged by that element (which must not itself scroll sideways); an element that is not
# shown (no box, or inside a visually hidden one) is not measured. The width is the phone's: a phone widens its
# layout viewport (window.innerWidth) to fit a page that is too wide, zoomed out.
MEASURE = """(width) => {
    const problems = [];
    const ruler = document.createElement('canvas').getContext('2d');
    const scroller = document.scrollingElement;
    if (scroller.scrollWidth > width) problems.push(`the page scrolls sideways: ${scroller.scrollWidth} > ${width}`);
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        (el.name ? `[name=${el.name}]` : '');
    const hidden = (el) => {
        for (let a = el; a && a !== document.body; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.display === 'none' || s.visibility === 'hidden' || s.clip !== 'auto') return true;
        }
        return false;
    };
    const clipped = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible') return true;
        }
        return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        if (['OPTION', 'SCRIPT', 'TEMPLATE', 'BR'].includes(el.tagName) || hidden(el)) continue;
        const style = getComputedStyle(el);
        if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
            problems.push(`${name(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
        if (style.overflowX === 'visible' && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && !clipped(el))
            problems.push(`${name(el)}'s content runs out of it: ${el.scrollWidth} > ${el.clientWidth}`);
        if (box.right > width + 0.5 && !clipped(el))
            problems.push(`${name(el)} runs past the right edge: ${Math.round(box.right)} > ${width}`);
        // each text of its own is at least two characters wide, as wide as they are in its font ("陈*" is
        // narrower than "订单"): a label squeezed beside its checkbox stacks its characters one per line
        for (const node of el.childNodes) {
            const text = node.nodeType === Node.TEXT_NODE ? node.textContent.trim() : '';
            const chars = [...text];
            if (chars.length < 2) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const rects = Array.from(range.getClientRects(), rect => rect.width);
            if (!rects.length) continue;  // not laid out as text (a textarea's value)
            const widest = Math.max(...rects);
            ruler.font = style.font;
            const two = Math.min(2 * parseFloat(style.fontSize), ruler.measureText(chars.slice(0, 2).join('')).width);
            if (widest < two - 0.5) problems.push(`${name(el)}: «${text.slice(0, 20)}» is ${Math.round(widest)} px wide`);
        }
    }
    // a finger's target: the buttons, fields and links of forms and cards are at least 44 px high
    const targets = 'main button, main .button, main select, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), ' +
        'main table.grid td a, main .today-grid li a, main summary';
    for (const el of document.querySelectorAll(targets)) {
        const box = el.getBoundingClientRect();
        if ((box.width || box.height) && !hidden(el) && box.height < 43.5)
            problems.push(`${name(el)} «${el.textContent.trim().slice(0, 12)}» is a ${Math.round(box.height)} px target`);
    }
    return problems;
}"""


def measured(page, url, problems, who, *, unfold=True):
    page.goto(url)
    if unfold:
        page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true; })")
    found = page.evaluate(MEASURE, PHONE['viewport']['width'])
    where = url.split('/', 3)[-1]
    if found:
        problems[f"{who} {where}"] = found
    os.makedirs(ARTIFACTS, exist_ok=True)
    slug = "-".join(part for part in where.split("/") if part)[:40] or "home"
    page.screenshot(path=os.path.join(ARTIFACTS, f"phone-{who}-{slug}.png"), full_page=True)
    return page
