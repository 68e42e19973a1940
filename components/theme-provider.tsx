"use client";

// next-themes puts `class="dark"` (or nothing) on <html> before the first paint, from the visitor's
// choice in localStorage or else the system preference; globals.css keys its colours on it.
export { ThemeProvider } from "next-themes";
