import type { Mail } from './mailer.ts';

export function codeMail(to: string, code: string, ttlMinutes: number): Mail {
  return {
    to,
    subject: `[terning] 인증 코드 ${code} / Your verification code`,
    text: `인증 코드: ${code}\n${ttlMinutes}분 동안 한 번만 쓸 수 있습니다.\n\nYour terning verification code is ${code}. It works once, for ${ttlMinutes} minutes.\n`,
  };
}

export function winnerMail(to: string, eventName: string): Mail {
  return {
    to,
    subject: `[terning] 당첨을 축하합니다! / You won: ${eventName}`,
    text: `축하합니다! "${eventName}" 선착순 선물에 당첨되었습니다.\n\nCongratulations: you are one of the winners of "${eventName}".\n`,
  };
}
