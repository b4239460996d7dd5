import assert from 'node:assert/strict';
import { test } from 'node:test';
import React, { createElement, type FunctionComponent, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { en } from '../web/src/i18n/en.ts';
import { zh } from '../web/src/i18n/zh.ts';
import { splitCollectPlaceholders } from '../web/src/lib/collect-placeholder.ts';

/** The console is typed by web/tsconfig.json (JSX); the root project only loads it at run time. */
const consoleFile = (file: string) => new URL(`../web/src/${file}`, import.meta.url).href;

const LINK_ID = 'cl_01jh8k2m3n4p5q6r7s8t9v0w1x';
const BODY = `This chat is end-to-end encrypted; please use the form.\n\nhttps://vault.example/collect/#{{collect-token:${LINK_ID}}}`;

test('a collect-link URL with its placeholder splits into text and a link marker, the link id dropped', () => {
  const parts = splitCollectPlaceholders(BODY);
  assert.deepEqual(parts, [
    { kind: 'text', text: 'This chat is end-to-end encrypted; please use the form.\n\n' },
    { kind: 'collectLink' },
  ]);
  assert.deepEqual(splitCollectPlaceholders('plain {{not-a-token}} text'), [
    { kind: 'text', text: 'plain {{not-a-token}} text' },
  ]);
  assert.deepEqual(splitCollectPlaceholders(''), []);
  const two = splitCollectPlaceholders(`a{{collect-token:${LINK_ID}}}b{{collect-token:${LINK_ID}}}`);
  assert.deepEqual(
    two.map((p) => p.kind),
    ['text', 'collectLink', 'text', 'collectLink'],
  );
});

test('the label is translated in English and Chinese', () => {
  assert.match(en['collect.linkSent'], /secure form link sent/);
  assert.match(zh['collect.linkSent'], /安全表单/);
});

test('the message bubble shows the label, never the placeholder or the link id', async () => {
  const store = new Map<string, string>();
  for (const lang of ['en', 'zh-CN'] as const) {
    store.set('chatvault.lang', lang);
    // tsx compiles the console's JSX with the classic runtime (the root tsconfig has no "jsx").
    Object.assign(globalThis, {
      React,
      localStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: () => undefined },
    });
    const { I18nProvider } = (await import(consoleFile('i18n/index.tsx'))) as {
      I18nProvider: FunctionComponent<{ children?: ReactNode }>;
    };
    const { MessageBubble } = (await import(consoleFile('components/message-bubble.tsx'))) as {
      MessageBubble: FunctionComponent<{ message: unknown }>;
    };
    const message = {
      id: 'ms_1',
      direction: 'outbound',
      type: 'text',
      status: 'sent',
      sentAt: '2026-11-29T10:00:00.000Z',
      text: BODY,
    };
    const html = renderToStaticMarkup(
      createElement(I18nProvider, null, createElement(MessageBubble, { message })),
    );
    assert.ok(!html.includes('collect-token'), 'no placeholder in the bubble');
    assert.ok(!html.includes(LINK_ID), 'no link id in the bubble');
    assert.ok(!html.includes('/collect/#'), 'no half link URL either');
    assert.ok(html.includes(lang === 'en' ? en['collect.linkSent'] : zh['collect.linkSent']), html);
    assert.ok(html.includes('end-to-end encrypted'), 'the notice text around it is kept');
  }
});
