/** Where core reports the errors it handles but must not hide (a pino logger fits). */
export interface ErrorLog {
  error(obj: Record<string, unknown>, msg: string): void;
}
